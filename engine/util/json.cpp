#include "engine/util/json.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/util/number_text.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// nlohmann::json keeps an object's keys in a std::map, the order of Value::Map: building it
// is O(n log n). (ordered_json's operator[] searches a vector: quadratic in the keys, and
// canonical text of a 50,000-key metadata file took minutes, breakH H17.)
// An integer written in YAML past the 64-bit range (`12345678901234567890`) is a double that
// rounds it: JSON gets the text as written, a string, never the rounded number (break22 #4:
// toJSON gave `1.2345678901234567e+19`). Other written numbers (`3.10`, `0755`) are the
// number they read as; their text travels beside them where it must (WrittenTexts).
nlohmann::json WrittenNumber(const Value& v, nlohmann::json typed) {
  if (!v.written() || !v.is_number() || v.is_int()) return typed;
  std::string_view digits = v.as_string();
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos)
    return v.as_string();  // an integer's text: only past int64 is it a double
  return typed;
}

nlohmann::json ToNlohmann(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.as_bool();
    case Value::Kind::kInt:
      return WrittenNumber(v, v.as_int());
    case Value::Kind::kDouble:
      return WrittenNumber(v, v.as_double());
    case Value::Kind::kString:
      return v.as_string();
    case Value::Kind::kUnknown:
      return v.as_string();
    case Value::Kind::kList: {
      auto arr = nlohmann::json::array();
      for (const Value& item : v.as_list()) arr.push_back(ToNlohmann(item));
      return arr;
    }
    case Value::Kind::kMap: {
      auto obj = nlohmann::json::object();
      auto& members = obj.get_ref<nlohmann::json::object_t&>();
      for (const auto& [key, item] : v.as_map())
        members.emplace_hint(members.end(), key, ToNlohmann(item));
      return obj;
    }
  }
  return nullptr;
}

constexpr size_t kMaxDepth = 512;

// No message quotes a piece of the text: the text may be a secret (fromJSON(secrets.x)), and a
// piece of one is no form the redactor knows (break23a A1: the integer, the duplicated key
// and nlohmann's "number overflow parsing '...'" were quoted).
std::string BeyondRange(size_t digits) {
  return "invalid JSON: an integer of " + std::to_string(digits) +
         " digits is beyond the 64-bit range runbook reads (-9223372036854775808 to "
         "9223372036854775807)";
}

// Builds a Value from nlohmann's SAX events in one linear pass (no DOM in between; the
// callback parser this replaces rescanned an object's members at each member's end: quadratic,
// breakF F9). Refuses nesting deeper than kMaxDepth and a key twice in one object (readers
// disagree on which one counts: a signed field could be shadowed), and asks `stop` every 4096
// events.
class ValueBuilder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  ValueBuilder(const StopCheck& stop, bool as_sent) : stop_(stop), as_sent_(as_sent) {}
  bool null() override { return Put(Value()); }
  bool boolean(bool b) override { return Put(Value(b)); }
  // As sent, an integer is written too: text where text is wanted, as `[1, 2]` written in a
  // runbook gives (a list from `--set 'l=[1, 2]'` failed a string parameter with `item`).
  bool number_integer(number_integer_t n) override { return PutInteger(int64_t{n}); }
  // An integer past int64 is refused in words, never wrapped negative nor rounded into a
  // double (breakJ J10: 12345678901234567890 read as -6101065172474983726). As sent, it is
  // what the same integer written in a runbook is: its text, beside the double that rounds it
  // (snode_value.cpp; break24a C4: --set 'l=[<24 digits>]' was refused, the file took it).
  bool number_unsigned(number_unsigned_t n) override {
    if (n > static_cast<number_unsigned_t>(std::numeric_limits<int64_t>::max()))
      return as_sent_ ? Put(Value::Written(Value(static_cast<double>(n)), std::to_string(n)))
                      : Fail(BeyondRange(std::to_string(n).size()));
    return PutInteger(static_cast<int64_t>(n));
  }
  bool PutInteger(int64_t n) {
    return Put(as_sent_ ? Value::Written(Value(n), std::to_string(n)) : Value(n));
  }
  bool number_float(number_float_t d, const string_t& text) override {
    if (text.find_first_of(".eE") == std::string::npos)  // an integer past uint64, or int64's min
      return as_sent_ && DoubleInRange(text)
                 ? Put(Value::Written(Value(d), text))
                 : Fail(BeyondRange(text.size() - (text[0] == '-' ? 1 : 0)));
    // 1e-400, which nlohmann makes 0, is out of range as 1e400 is (number_text.h)
    if (!DoubleInRange(text))
      return Fail(
          "invalid JSON: a number is out of range (beyond ±1.8e308, or so small it would read as "
          "0)");
    return Put(as_sent_ ? Value::Written(Value(d), text) : Value(d));
  }
  bool string(string_t& text) override { return Put(Value(std::move(text))); }
  bool binary(binary_t&) override { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) override { return Open(true); }
  bool key(string_t& k) override {
    if (stack_.back().map.count(k) != 0)  // RFC 7493 (I-JSON) 2.3: names must be unique
      return Fail("invalid JSON: a key appears twice in one object (member " +
                  std::to_string(stack_.back().map.size() + 1) + " repeats an earlier key)");
    stack_.back().key = std::move(k);
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    // nlohmann's text starts with its exception's id ("[json.exception.parse_error.101] "):
    // words for a programmer, not for the reader.
    std::string what = e.what();
    if (what.rfind("[json.exception.", 0) == 0 && what.find("] ") != std::string::npos)
      what.erase(0, what.find("] ") + 2);
    // "; last read: '<token>'" quotes the input: a piece of a secret too short to mask
    // (issue 13 A). The line and column say where; the text itself stays out.
    if (size_t quote = what.find("; last read: "); quote != std::string::npos) what.erase(quote);
    // "number overflow parsing '1.5e99999'" (an out_of_range, without a line): its place instead.
    if (size_t quote = what.find(" parsing '"); quote != std::string::npos)
      what = what.substr(0, quote) + " at byte " + std::to_string(position);
    return Fail("invalid JSON: " + what);
  }
  Result<Value> Finish(bool ok) {
    if (!ok || !error_.empty()) return Status::Error(error_.empty() ? "invalid JSON" : error_);
    return std::move(root_);
  }

 private:
  struct Frame {
    bool is_map;
    Value::Map map;
    Value::List list;
    std::string key;
  };
  bool Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }
  bool Put(Value v) {
    if (stack_.empty())
      root_ = std::move(v);
    else if (stack_.back().is_map)
      stack_.back().map[stack_.back().key] = std::move(v);
    else
      stack_.back().list.push_back(std::move(v));
    if ((++events_ & 4095) == 0 && stop_ && stop_()) return Fail(kStoppedMessage);
    return true;
  }
  bool Open(bool is_map) {
    if (stack_.size() >= kMaxDepth) return Fail("invalid JSON: nested deeper than 512 levels");
    stack_.push_back(Frame{is_map, {}, {}, {}});
    return true;
  }
  bool Close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    return Put(f.is_map ? Value(std::move(f.map)) : Value(std::move(f.list)));
  }

  const StopCheck& stop_;
  const bool as_sent_;  // numbers with a fraction or exponent keep their text
  std::vector<Frame> stack_;
  Value root_;
  size_t events_ = 0;
  std::string error_;
};

}  // namespace

std::string ToJson(const Value& value, int indent) {
  return ToNlohmann(value).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Whether `t` is a number as JSON writes one (RFC 8259 section 6):
// -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?
bool JsonNumberText(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < t.size() && t[i] == '.' && (++i, digits() == 0)) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

void AppendAsSent(const Value& v, std::string& out) {
  if (v.is_list()) {
    out += '[';
    for (size_t k = 0; k < v.as_list().size(); ++k) {
      if (k > 0) out += ',';
      AppendAsSent(v.as_list()[k], out);
    }
    out += ']';
  } else if (v.is_map()) {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : v.as_map()) {
      if (!std::exchange(first, false)) out += ',';
      out += ToJson(Value(key)) + ':';
      AppendAsSent(item, out);
    }
    out += '}';
  } else if (v.written() && v.is_number()) {
    out += JsonNumberText(v.as_string()) ? v.as_string() : ToJson(Value(v.as_string()));
  } else {
    out += ToJson(v);
  }
}

}  // namespace

std::string TextAsSent(const Value& value) {
  if (value.is_string() || (value.written() && value.is_number())) return value.ToText();
  std::string out;
  AppendAsSent(value, out);
  return out;
}

std::string ToJsonShown(const Value& value, int indent) {
  return EscapeHiddenJson(ToJson(value, indent));
}

namespace {

Result<Value> Parse(const std::string& text, const StopCheck& stop, bool as_sent) {
  ValueBuilder builder(stop, as_sent);
  bool ok = nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json, true);
  return builder.Finish(ok);
}

}  // namespace

Result<Value> ParseJson(const std::string& text, const StopCheck& stop) {
  return Parse(text, stop, false);
}

Result<Value> ParseJsonAsSent(const std::string& text, const StopCheck& stop) {
  return Parse(text, stop, true);
}

std::string JsonPointerToken(const std::string& key) {
  std::string out;
  for (char c : key)
    out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  return out;
}

namespace {

bool HasOwnText(const Value& v) {
  return v.written() && v.is_number() && ToNlohmann(v).dump() != v.as_string();
}

// Each number inside `v` (found at pointer `at`) that has text of its own: pointer -> text.
void CollectNested(const Value& v, const std::string& at, Value::Map& out) {
  auto visit = [&out](const Value& item, const std::string& here) {
    if (HasOwnText(item)) out[here] = Value(item.as_string());
    CollectNested(item, here, out);
  };
  if (v.is_list())
    for (size_t i = 0; i < v.as_list().size(); ++i)
      visit(v.as_list()[i], at + "/" + std::to_string(i));
  if (v.is_map())
    for (const auto& [key, item] : v.as_map()) visit(item, at + "/" + JsonPointerToken(key));
}

// The tokens of `pointer` ("/a/0" -> {"a", "0"}), unescaped; nullopt when it is no pointer.
std::optional<std::vector<std::string>> PointerTokens(const std::string& pointer) {
  if (pointer.empty() || pointer[0] != '/') return std::nullopt;
  std::vector<std::string> tokens;
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))
        return std::nullopt;
      token += pointer[++i] == '0' ? '~' : '/';
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

// The value at `tokens` under `v`, for change; nullptr when there is none.
Value* At(Value& v, const std::vector<std::string>& tokens, size_t from) {
  if (from == tokens.size()) return &v;
  const std::string& t = tokens[from];
  if (v.is_map()) {
    auto it = v.mutable_map().find(t);
    return it == v.mutable_map().end() ? nullptr : At(it->second, tokens, from + 1);
  }
  if (v.is_list()) {
    if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos)
      return nullptr;
    size_t i = std::stoul(t);
    return i < v.as_list().size() ? At(v.mutable_list()[i], tokens, from + 1) : nullptr;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> OwnTextAsSent(const Value& value) {
  if (value.is_string()) return std::nullopt;
  std::string text = TextAsSent(value);
  if (text == ToJson(value)) return std::nullopt;
  return text;
}

Value::Map TextsAsSent(const Value::Map& values) {
  Value::Map out;
  for (const auto& [name, value] : values)
    if (auto text = OwnTextAsSent(value)) out[name] = Value(std::move(*text));
  return out;
}

Value::Map WrittenTexts(const Value::Map& values) {
  Value::Map out;
  for (const auto& [name, v] : values)
    if (HasOwnText(v)) out[name] = Value(v.as_string());
  return out;
}

Value::Map NestedWrittenTexts(const Value::Map& values) {
  Value::Map out;
  for (const auto& [name, v] : values) CollectNested(v, "/" + JsonPointerToken(name), out);
  return out;
}

void RestoreNestedWritten(Value::Map& values, const Value::Map& texts) {
  for (const auto& [pointer, text] : texts) {
    auto tokens = PointerTokens(pointer);
    if (!tokens || tokens->size() < 2 || !text.is_string()) continue;
    auto top = values.find((*tokens)[0]);
    if (top == values.end()) continue;
    Value* v = At(top->second, *tokens, 1);
    if (v != nullptr && v->is_number()) *v = Value::Written(*v, text.as_string());
  }
}

void RestoreWritten(Value::Map& values, const Value::Map& texts) {
  for (const auto& [name, text] : texts) {
    auto it = values.find(name);
    if (it == values.end() || !it->second.is_number() || !text.is_string()) continue;
    it->second = Value::Written(it->second, text.as_string());
  }
}

}  // namespace runbook
