#include "steps/probe/journey.h"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "engine/util/json.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

// The {{name}} references in `text`.
std::vector<std::string> Placeholders(const std::string& text) {
  std::vector<std::string> names;
  for (size_t at = text.find("{{"); at != std::string::npos; at = text.find("{{", at + 2)) {
    size_t end = text.find("}}", at + 2);
    if (end == std::string::npos) break;
    names.push_back(text.substr(at + 2, end - at - 2));
  }
  return names;
}

void CollectPlaceholders(const Value& v, std::vector<std::string>& out) {
  if (v.is_string())
    for (std::string& n : Placeholders(v.as_string())) out.push_back(std::move(n));
  if (v.is_list())
    for (const Value& x : v.as_list()) CollectPlaceholders(x, out);
  if (v.is_map())
    for (const auto& [k, x] : v.as_map()) CollectPlaceholders(x, out);
}

Status ParseExpect(const Value& e, const std::string& where, JourneyRequest& r) {
  if (!e.is_map()) return Status::Error(where + ": expect must be a mapping");
  for (const auto& [key, v] : e.as_map()) {
    if (key == "status") {
      for (const Value& s : v.is_list() ? v.as_list() : Value::List{v}) {
        // An HTTP status is three digits (RFC 9110 section 15): 99999999999 never matches.
        if (!s.is_int() || s.as_int() < 100 || s.as_int() > 599)
          return Status::Error(where + ": expect.status must be HTTP statuses, 100 to 599");
        r.expect_status.push_back(s.as_int());
      }
    } else if (key == "json" && v.is_map()) {
      for (const auto& [ptr, want] : v.as_map()) r.expect_json.emplace_back(ptr, want);
    } else {
      return Status::Error(where + ": expect takes status and json (pointer: value), not '" + key +
                           "'");
    }
  }
  return Status::Ok();
}

Status ParseFields(const Value& item, const std::string& where, JourneyRequest& r) {
  static const std::set<std::string> kMethods{"GET",    "POST", "PUT",    "PATCH",
                                              "DELETE", "HEAD", "OPTIONS"};
  static const std::set<std::string> kKeys{"name", "method", "path",   "headers",
                                           "json", "expect", "extract"};
  for (const auto& [key, v] : item.as_map()) {
    if (!kKeys.count(key))
      return Status::Error(where + ": unknown key '" + key +
                           "' (expected name, method, path, headers, json, expect, extract)");
    if ((key == "headers" || key == "extract") && !v.is_map())
      return Status::Error(where + ": " + key + " must be a mapping");
    if (key == "method") r.method = v.ToText();
    if (key == "method" && !kMethods.count(r.method))
      return Status::Error(where + ": unknown method '" + r.method +
                           "' (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)");
    if (key == "path" && !v.is_string())  // a number made "URL using bad/illegal format"
      return Status::Error(where + ": path must be a string (such as /health)");
    if (key == "path") r.path = v.ToText();
    if (key == "json") r.json = v;
    if (key == "headers")
      for (const auto& [h, hv] : v.as_map()) {
        if (!IsHeaderName(h))
          return Status::Error(where + ": header name '" + h +
                               "' is not a token (letters, digits and !#$%&'*+-.^_`|~)");
        if (hv.is_list() || hv.is_map() || hv.is_null())
          return Status::Error(where + ": header '" + h + "' must be one value, not " +
                               (hv.is_null()   ? "null"
                                : hv.is_list() ? "a list"
                                               : "a mapping"));
        r.headers.emplace_back(h, hv.ToText());
      }
    if (key == "extract")
      for (const auto& [var, ptr] : v.as_map()) r.extract.emplace_back(var, ptr.ToText());
    if (key == "expect") {
      Status s = ParseExpect(v, where, r);
      if (!s.ok()) return s;
    }
  }
  return Status::Ok();
}

// Every {{name}} the request uses must be in `known` (extracted by an earlier request).
Status CheckPlaceholders(const JourneyRequest& r, const std::string& where,
                         const std::set<std::string>& known) {
  std::vector<std::string> used = Placeholders(r.path);
  for (const auto& [h, v] : r.headers)
    for (std::string& n : Placeholders(v)) used.push_back(std::move(n));
  if (r.json) CollectPlaceholders(*r.json, used);
  for (const std::string& n : used)
    if (!known.count(n))
      return Status::Error(where + ": uses {{" + n + "}}, which no earlier request extracts");
  return Status::Ok();
}

Status ParseOne(const Value& item, size_t i, std::set<std::string>& known, JourneyRequest& r) {
  std::string where = "journey[" + std::to_string(i) + "]";
  if (!item.is_map()) return Status::Error(where + " must be a mapping");
  const Value* name = item.Find("name");
  if (name != nullptr) where += " ('" + name->ToText() + "')";
  if (name == nullptr || item.Find("path") == nullptr)
    return Status::Error(where + " needs a name and a path");
  r.name = name->ToText();
  Status s = ParseFields(item, where, r);
  if (s.ok()) s = CheckPlaceholders(r, where, known);
  if (!s.ok()) return s;
  for (const auto& [var, ptr] : r.extract) {
    if (ptr.empty() || ptr[0] != '/')
      return Status::Error(where + ": extract." + var + " must be a JSON pointer like /token");
    known.insert(var);
  }
  for (const auto& [ptr, want] : r.expect_json)
    if (ptr.empty() || ptr[0] != '/')
      return Status::Error(where + ": expect.json key '" + ptr + "' must be a JSON pointer");
  return Status::Ok();
}

bool SameJson(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return a.as_double() == b.as_double();
  return ToJson(a) == ToJson(b);
}

// The requests of `journey` that read well into `out`, each one's first mistake into
// `mistakes` (a request after a bad one is still read; what the bad one extracts counts as
// known, so a later {{name}} is no second mistake).
void ReadJourney(const Value& journey, std::vector<JourneyRequest>& out,
                 std::vector<std::pair<size_t, Status>>& mistakes) {
  if (!journey.is_list() || journey.as_list().empty()) {
    mistakes.emplace_back(0, Status::Error("journey must be a non-empty list of requests"));
    return;
  }
  std::set<std::string> known;
  for (size_t i = 0; i < journey.as_list().size(); ++i) {
    const Value& item = journey.as_list()[i];
    JourneyRequest r;
    Status s = ParseOne(item, i, known, r);
    if (s.ok()) {
      out.push_back(std::move(r));
      continue;
    }
    mistakes.emplace_back(i, std::move(s));
    const Value* extract = item.is_map() ? item.Find("extract") : nullptr;
    if (extract != nullptr && extract->is_map())
      for (const auto& [var, pointer] : extract->as_map()) known.insert(var);
  }
}

}  // namespace

Result<std::vector<JourneyRequest>> ParseJourney(const Value& journey) {
  std::vector<JourneyRequest> out;
  std::vector<std::pair<size_t, Status>> mistakes;
  ReadJourney(journey, out, mistakes);
  if (!mistakes.empty()) return mistakes.front().second;
  return out;
}

std::vector<std::pair<size_t, Status>> JourneyMistakes(const Value& journey) {
  std::vector<JourneyRequest> out;
  std::vector<std::pair<size_t, Status>> mistakes;
  ReadJourney(journey, out, mistakes);
  return mistakes;
}

// A JSON pointer's array index: digits only, in range; false for anything else.
static bool ListIndex(const std::string& token, size_t& index) {
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  return !token.empty() && ec == std::errc() && end == token.data() + token.size();
}

const Value* JsonPointer(const Value& doc, const std::string& pointer) {
  const Value* at = &doc;
  size_t pos = 0;
  while (at != nullptr && pos < pointer.size()) {
    size_t next = pointer.find('/', pos + 1);
    std::string token = pointer.substr(pos + 1, next == std::string::npos ? next : next - pos - 1);
    for (size_t k; (k = token.find("~1")) != std::string::npos;) token.replace(k, 2, "/");
    for (size_t k; (k = token.find("~0")) != std::string::npos;) token.replace(k, 2, "~");
    if (at->is_map()) {
      at = at->Find(token);
    } else if (size_t index = 0;
               at->is_list() && ListIndex(token, index) && index < at->as_list().size()) {
      at = &at->as_list()[index];
    } else {
      at = nullptr;
    }
    pos = next == std::string::npos ? pointer.size() : next;
  }
  return at;
}

void VirtualUser::RunOnce(const std::vector<JourneyRequest>& journey, const CancelToken& cancel,
                          std::vector<RequestOutcome>& out) {
  vars_.clear();
  cookies_.clear();
  for (size_t i = 0; i < journey.size() && !cancel.cancelled(); ++i) {
    out.push_back(Exchange(journey[i], i, cancel));
    if (!out.back().ok) return;
  }
}

std::string VirtualUser::Fill(const std::string& text) const {
  if (text.find("{{") == std::string::npos) return text;
  std::string s = text;
  for (const auto& [name, value] : vars_) {
    std::string key = "{{" + name + "}}";
    for (size_t at; (at = s.find(key)) != std::string::npos;) s.replace(at, key.size(), value);
  }
  return s;
}

Value VirtualUser::FillValue(const Value& v) const {
  if (v.is_string()) return Value(Fill(v.as_string()));
  if (v.is_list()) {
    Value::List l;
    for (const Value& x : v.as_list()) l.push_back(FillValue(x));
    return Value(std::move(l));
  }
  if (v.is_map()) {
    Value::Map m;
    for (const auto& [k, x] : v.as_map()) m[k] = FillValue(x);
    return Value(std::move(m));
  }
  return v;
}

void VirtualUser::KeepCookies(const HttpResponse& response) {
  std::string all = response.Header("set-cookie");
  for (size_t start = 0; start < all.size();) {
    size_t end = all.find('\n', start);
    std::string line = all.substr(start, end == std::string::npos ? end : end - start);
    start = end == std::string::npos ? all.size() : end + 1;
    std::string pair = line.substr(0, line.find(';'));
    size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string name = pair.substr(0, eq);
    std::erase_if(cookies_, [&](const auto& c) { return c.first == name; });
    cookies_.emplace_back(name, pair.substr(eq + 1));
  }
}

namespace {

// Why the response does not satisfy `r` ("" when it does); extracted values go to `vars`.
std::string Judge(const JourneyRequest& r, const HttpResponse& resp,
                  std::vector<std::pair<std::string, std::string>>& vars) {
  if (resp.status == 0) return resp.error;
  bool status_ok = r.expect_status.empty()
                       ? resp.status / 100 == 2
                       : std::find(r.expect_status.begin(), r.expect_status.end(), resp.status) !=
                             r.expect_status.end();
  if (!status_ok) return "HTTP " + std::to_string(resp.status);
  if (r.expect_json.empty() && r.extract.empty()) return "";
  auto doc = ParseJson(resp.body);
  if (!doc.ok()) return "the response is not JSON";
  for (const auto& [ptr, want] : r.expect_json) {
    const Value* got = JsonPointer(doc.value(), ptr);
    if (got == nullptr) return ptr + " is missing";
    if (!SameJson(*got, want)) return ptr + " is " + ToJson(*got) + ", expected " + ToJson(want);
  }
  for (const auto& [var, ptr] : r.extract) {
    const Value* got = JsonPointer(doc.value(), ptr);
    if (got == nullptr) return "cannot extract " + var + ": " + ptr + " is missing";
    vars.emplace_back(var, got->is_string() ? got->as_string() : ToJson(*got));
  }
  return "";
}

}  // namespace

RequestOutcome VirtualUser::Exchange(const JourneyRequest& r, size_t index,
                                     const CancelToken& cancel) {
  HttpRequest req;
  req.method = r.method;
  std::string path = Fill(r.path);
  bool slash = !base_url_.empty() && base_url_.back() == '/' && !path.empty() && path[0] == '/';
  req.url = (slash ? base_url_.substr(0, base_url_.size() - 1) : base_url_) + path;
  req.timeout = timeout_;
  req.max_body = kProbeMaxBody;
  bool typed = false;
  for (const auto& [h, v] : r.headers) {
    req.headers.emplace_back(h, Fill(v));
    typed = typed || strcasecmp(h.c_str(), "content-type") == 0;
  }
  if (r.json) {
    req.body = ToJson(FillValue(*r.json));
    if (!typed) req.headers.emplace_back("Content-Type", "application/json");
  }
  std::string cookie;
  for (const auto& [k, v] : cookies_) cookie += (cookie.empty() ? "" : "; ") + k + "=" + v;
  if (!cookie.empty()) req.headers.emplace_back("Cookie", cookie);
  auto t0 = std::chrono::steady_clock::now();
  HttpResponse resp = client_.Send(req, cancel);
  RequestOutcome out;
  out.index = index;
  out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  KeepCookies(resp);
  out.error = Judge(r, resp, vars_);
  out.ok = out.error.empty();
  return out;
}

}  // namespace runbook
