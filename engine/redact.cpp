#include "engine/redact.h"

#include <algorithm>
#include <cctype>

#include "engine/plugin/check_value.h"
#include "engine/redact_layers.h"
#include "engine/util/crypto.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// The part of base64(secret) that is the same wherever the secret sits in a longer base64
// text: encoded at each of the three byte alignments, without the characters that mix in
// bits of the neighbours (so padding never matters).
std::vector<std::string> Base64Cores(const std::string& secret) {
  std::vector<std::string> cores;
  for (size_t pad = 0; pad < 3; ++pad) {
    std::string enc = Base64Encode(std::string(pad, '\0') + secret);
    size_t begin = (pad * 8 + 5) / 6;
    size_t end = (pad + secret.size()) * 8 / 6;
    if (end > begin + 7) cores.push_back(enc.substr(begin, end - begin));
  }
  return cores;
}

std::string UrlSafe(std::string b64) {
  std::replace(b64.begin(), b64.end(), '+', '-');
  std::replace(b64.begin(), b64.end(), '/', '_');
  return b64;
}

// The texts a secret that reads as a number becomes when read as an integer or a number
// param is (ParseTextAs, the reading --set, --input and JSON values get): `00424242` is
// 424242, `+9876543` is 9876543, `1234.500` is 1234.5 (breakO O11: a PIN given to an
// integer param reached the step, the store and every report in a form no other rule
// masked). Forms equal to the secret are left out.
std::vector<std::string> NumberForms(const std::string& secret) {
  std::vector<std::string> forms;
  for (ParamType type : {ParamType::kInteger, ParamType::kNumber}) {
    ParamSpec spec;
    spec.type = type;
    std::string error;
    Value read = ParseTextAs(spec, secret, error);
    if (!error.empty()) continue;
    // As read, and as a double would say it (424242 reads as 424242.0 where a double is made
    // of it: a number param's arithmetic, JSON of a double).
    for (std::string text : {read.ToText(), Value(read.as_double()).ToText()})
      if (text != secret && std::find(forms.begin(), forms.end(), text) == forms.end())
        forms.push_back(std::move(text));
  }
  return forms;
}

}  // namespace

std::string Redactor::Fingerprint(std::string_view text) const {
  if (fingerprint_key_.empty()) return "";
  std::string key = fingerprint_key_ + '\0';
  for (const std::string& s : secrets_) {  // those it holds, in any form masking knows
    Redactor one;
    one.Add(s);
    if (one.Apply(std::string(text)) != text) key.append(s).push_back('\0');
  }
  if (key.size() == fingerprint_key_.size() + 1) return "";  // it holds no secret
  return HexEncode(HmacSha256(Sha256Hex(key), text));
}

void Redactor::Add(const std::string& secret) {
  AddForm(secret);
  // As messages show it: a step's error quotes a path through Printable (control characters
  // and non-UTF-8 bytes as \xNN, bidi as \uXXXX), after which the raw bytes are no longer
  // there to find (breakV V8).
  if (std::string shown = Printable(secret); shown != secret) AddForm(shown);
  if (std::string lines = PrintableLines(secret); lines != secret) AddForm(lines);
  // Forms of the secret alone, not of each other: 424242 reads as 424242.0, which reads back
  // as 424242.
  for (const std::string& form : NumberForms(secret)) AddForm(form);  // shorter: not masked
  // Its core without the blanks around it: whatever trims (`$(echo $S)`, a header parser)
  // prints that (break23a A2: "  pw  " was masked, "pw" printed).
  const size_t first = secret.find_first_not_of(" \t");
  const size_t last = secret.find_last_not_of(" \t");
  if (first != std::string::npos && (first > 0 || last + 1 < secret.size()))
    Add(secret.substr(first, last - first + 1));
}

void Redactor::AddForm(const std::string& secret) {
  if (secret.size() < kMinSecretLength) return;
  secrets_.insert(secret);
  auto add = [&](SecretPattern p) {
    if (p.tokens() > 0 && std::find(patterns_.begin(), patterns_.end(), p) == patterns_.end())
      patterns_.push_back(std::move(p));
  };
  add(SecretPattern::Textual(secret));
  add(SecretPattern::Hex(secret));
  for (const std::string& core : Base64Cores(secret)) {
    add(SecretPattern::Wrapped(core));
    add(SecretPattern::Wrapped(UrlSafe(core)));
  }
  if (secret.find('\n') == std::string::npos) return;
  size_t start = 0;  // each line alone: tools print a PEM key line by line
  for (size_t nl; start <= secret.size(); start = nl + 1) {
    nl = secret.find('\n', start);
    if (nl == std::string::npos) nl = secret.size();
    std::string line = secret.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Add(line);
  }
}

Redactor RunRedactor(const Value::Map& secrets, const std::map<std::string, std::string>& env) {
  Redactor r;
  for (const auto& [name, v] : secrets)
    if (v.is_string()) r.Add(v.as_string());
  for (const auto& [name, v] : env)
    if (IsCredentialName(name) && v.size() >= 8) r.Add(v);
  return r;
}

bool IsCredentialName(const std::string& name) {
  std::string upper = AsciiUpper(name);
  for (const char* word : {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return upper == "AWS_ACCESS_KEY_ID";
}

size_t Redactor::LongestMatch(std::string_view text, size_t at) const {
  size_t end = std::string::npos;
  for (const SecretPattern& p : patterns_) {
    size_t e = p.MatchAt(text, at);
    if (e != std::string::npos && (end == std::string::npos || e > end)) end = e;
  }
  return end;
}

// The length of a beginning of `text` that is the end of a secret (0: none).
size_t Redactor::CutHead(std::string_view text) const {
  size_t longest = 0;
  for (const SecretPattern& p : patterns_) {
    for (size_t first = 1; first < p.tokens(); ++first) {
      size_t e = p.MatchTailAt(text, first);
      if (e != std::string::npos) longest = std::max(longest, e);
    }
  }
  return longest >= kMinCutFragment ? longest : 0;
}

// text[at..] is the beginning of a secret, cut off.
bool Redactor::CutTail(std::string_view text, size_t at) const {
  if (text.size() - at < kMinCutFragment) return false;
  for (const SecretPattern& p : patterns_)
    if (p.PrefixAt(text, at)) return true;
  return false;
}

void Redactor::PlainSpans(std::string_view text, Spans& out) const {
  for (size_t i = 0; i < text.size();) {
    size_t end = LongestMatch(text, i);
    if (end == std::string::npos) {
      ++i;
    } else {
      out.emplace_back(i, end);
      i = end;
    }
  }
}

void Redactor::CutSpans(std::string_view text, unsigned edges, Spans& out) const {
  if (edges & kCutBefore)
    if (size_t head = CutHead(text); head > 0) out.emplace_back(0, head);
  if (edges & kCutAfter)
    for (size_t i = 0; i < text.size(); ++i)
      if (CutTail(text, i)) {
        out.emplace_back(i, text.size());
        break;
      }
}

void Redactor::LayeredSpans(std::string_view text, int layers, unsigned edges, Spans& out) const {
  // A cut goes through the encoded text: its piece of a secret is a piece in each view too
  // (break22c #1: a secret percent-encoded twice kept 11 of its 12 bytes beside a cut). An
  // escape the cut left unfinished at the end is no part of a view; one whose start it took
  // away at the beginning is skipped, up to its longest (6 bytes, `\uHHHH`).
  const size_t partial = (edges & kCutAfter) ? PartialEscapeAtEnd(text) : 0;
  const std::string_view whole = text.substr(0, text.size() - partial);
  for (auto decode : {&PercentDecoded, &JsonUnescaped}) {
    std::optional<DecodedView> view = decode(whole);
    if (view) {
      Spans found;
      PlainSpans(view->text, found);
      CutSpans(view->text, edges & kCutAfter, found);
      if (layers > 1) LayeredSpans(view->text, layers - 1, edges & kCutAfter, found);
      for (const auto& [begin, end] : found)
        out.emplace_back(view->from[begin],
                         end == view->text.size() ? text.size() : view->to[end - 1]);
    }
    if (!(edges & kCutBefore)) continue;
    for (size_t skip = 0; skip < 6 && skip < whole.size(); ++skip) {
      std::optional<DecodedView> head = decode(whole.substr(skip));
      if (!head) continue;
      Spans found;
      CutSpans(head->text, kCutBefore, found);
      if (layers > 1) LayeredSpans(head->text, layers - 1, kCutBefore, found);
      for (const auto& [begin, end] : found)
        if (begin == 0) out.emplace_back(0, skip + head->to[end - 1]);
    }
  }
}

namespace {

// `text` with each of `spans` (merged where they overlap) as kMask.
std::string MaskSpans(const std::string& text, std::vector<std::pair<size_t, size_t>> spans) {
  std::sort(spans.begin(), spans.end());
  std::string out;
  size_t at = 0;
  for (size_t k = 0; k < spans.size();) {
    auto [begin, end] = spans[k];
    for (++k; k < spans.size() && spans[k].first < end; ++k) end = std::max(end, spans[k].second);
    if (begin < at) begin = at;
    out.append(text, at, begin - at).append(kMask);
    at = std::max(at, end);
  }
  return out.append(text, at);
}

// Encodings stacked on a form the patterns know that are taken off before matching: two
// covers JSON in a URL or a form, JSON in JSON, and a value percent-encoded twice.
constexpr int kEncodingLayers = 2;

}  // namespace

std::string Redactor::ApplyCut(std::string text, unsigned edges) const {
  if (patterns_.empty()) return text;
  Spans layered;
  LayeredSpans(text, kEncodingLayers, edges, layered);
  if (!layered.empty()) text = MaskSpans(text, std::move(layered));
  std::string out;
  size_t i = (edges & kCutBefore) ? CutHead(text) : 0;
  if (i > 0) out = kMask;
  while (i < text.size()) {
    size_t end = LongestMatch(text, i);
    if (end != std::string::npos) {
      out += kMask;
      i = end;
    } else if ((edges & kCutAfter) && CutTail(text, i)) {
      return out + kMask;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string Redactor::ApplyPart(std::string_view text, size_t begin, size_t end,
                                unsigned edges) const {
  if (patterns_.empty()) return std::string(text.substr(begin, end - begin));
  Spans spans;
  LayeredSpans(text, kEncodingLayers, edges, spans);
  PlainSpans(text, spans);
  CutSpans(text, edges, spans);
  Spans inside;
  for (auto [b, e] : spans) {
    b = std::max(b, begin);
    e = std::min(e, end);
    if (b < e) inside.emplace_back(b - begin, e - begin);
  }
  return MaskSpans(std::string(text.substr(begin, end - begin)), std::move(inside));
}

size_t Redactor::FormBegunAtEnd(std::string_view text) const {
  size_t longest = 0;
  for (const SecretPattern& p : patterns_) {
    const size_t reach = std::min(text.size(), p.longest());
    for (size_t at = text.size() - reach; text.size() - at > longest; ++at) {
      if (p.PrefixAt(text, at)) {
        longest = text.size() - at;
        break;
      }
    }
  }
  return longest;
}

Value Redactor::Apply(const Value& value) const {
  if (patterns_.empty()) return value;
  switch (value.kind()) {
    case Value::Kind::kString:
      return Value(Apply(value.as_string()));
    case Value::Kind::kList: {
      Value::List out;
      for (const Value& v : value.as_list()) out.push_back(Apply(v));
      return Value(std::move(out));
    }
    case Value::Kind::kMap: {
      Value::Map out;
      for (const auto& [k, v] : value.as_map()) out[Apply(k)] = Apply(v);
      return Value(std::move(out));
    }
    case Value::Kind::kNull:
      return value;
    default: {  // a number or boolean whose text holds a secret: that text masked (breakQ Q1)
      std::string text = value.ToText(), hidden = Apply(text);
      return hidden == text ? value : Value(hidden);
    }
  }
}

std::string CopiedMaskProblem(const std::string& what, const std::string& value) {
  if (value.find(kMask) == std::string::npos) return "";
  return what + ": give the value itself; '" + kMask +
         "' is what runbook shows in place of a secret";
}

}  // namespace runbook
