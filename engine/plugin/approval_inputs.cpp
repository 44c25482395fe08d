#include "engine/plugin/approval_inputs.h"

#include "engine/plugin/check_value.h"
#include "engine/util/json.h"

namespace runbook {

namespace {

bool IsInputKey(const std::string& key) {
  return key == "type" || key == "description" || key == "default" || key == "required" ||
         key == "enum";
}

}  // namespace

std::vector<ParamSpec> ApprovalInputSpecs(const Value& inputs, std::string& error) {
  std::vector<InputMistake> mistakes;
  std::vector<ParamSpec> specs = ApprovalInputSpecs(inputs, mistakes);
  for (const InputMistake& m : mistakes) error += (error.empty() ? "" : "; ") + m.message;
  return specs;
}

std::vector<ParamSpec> ApprovalInputSpecs(const Value& inputs,
                                          std::vector<InputMistake>& mistakes) {
  std::vector<ParamSpec> specs;
  if (!inputs.is_map()) return specs;
  for (const auto& [name, decl] : inputs.as_map()) {
    const std::string at = "/" + JsonPointerToken(name);
    auto say = [&](const std::string& key, const std::string& e) {
      mistakes.push_back({key.empty() ? at : at + "/" + JsonPointerToken(key), e});
    };
    ParamSpec p;
    p.name = name;
    if (decl.is_unknown()) continue;  // the whole declaration is known at the gate
    if (!decl.is_map()) {
      say("", "input '" + name + "' must be a mapping such as {type: string}");
      continue;
    }
    for (const auto& [key, v] : decl.as_map()) {
      // A part known only at the gate (an expression; Unknown at load) is checked there, and
      // leaves the rest lenient: no type, enum or requirement is assumed for it. A default
      // that is one still counts as a default.
      if (v.has_unknown() && key != "default" && IsInputKey(key)) continue;
      if (key == "type") {  // every type is checked as typed (breakK K15)
        if (auto t = ParamTypeNamed(v.ToText()))
          p.type = *t;
        else
          say(key,
              "input '" + name + "': type '" + v.ToText() + "' is not one of " + ParamTypeNames());
      } else if (key == "description")
        p.doc = v.ToText();
      else if (key == "default")
        p.default_value = v;  // Unknown when it is an expression
      else if (key == "required" && v.is_bool())
        p.required = v.as_bool();
      else if (key == "required")  // break27a #6: `ture`, `yes`, "true" meant not required
        say(key,
            "input '" + name + "': required must be true or false, found '" + v.ToText() + "'");
      else if (key == "enum" && v.is_list())
        for (const Value& e : v.as_list()) p.enum_values.push_back(e.ToText());
      else if (key == "enum")
        say(key, "input '" + name + "': enum must be a list of the values allowed");
      else
        say(key, "input '" + name + "': unknown key '" + key + "'");
    }
    // A default the input itself refuses (breakM M22: `default: PROD` with `enum: [prod,
    // staging]` was approved as is), as a param's is a located mistake.
    bool partial = decl.has_unknown();  // a default is checked once all it depends on is known
    // Each enum value must be one of the input's type (break27a #6: `enum: [1, x]` on an
    // integer input was taken, and `x` could never be given).
    const Value* allowed = decl.Find("enum");
    if (allowed != nullptr && allowed->is_list() && !partial) {
      ParamSpec plain = p;
      plain.enum_values.clear();
      for (size_t k = 0; k < allowed->as_list().size(); ++k)
        if (std::string problem = CheckValue(plain, allowed->as_list()[k]); !problem.empty())
          mistakes.push_back(
              {at + "/enum/" + std::to_string(k), "input '" + name + "': enum: " + problem});
    }
    if (!p.default_value.is_null() && !partial) {
      std::string problem = CheckValue(p, p.default_value);
      if (!problem.empty()) say("default", "input '" + name + "': default: " + problem);
    }
    specs.push_back(p);
  }
  return specs;
}

}  // namespace runbook
