#include "engine/redact.h"

#include <algorithm>
#include <cctype>

#include "engine/util/crypto.h"

namespace runbook {
namespace {

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The part of base64(secret) that is the same wherever the secret sits in a longer
// base64 text: encoded at each of the three byte alignments, without the characters that
// mix in bits of the neighbours.
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

}  // namespace

void Redactor::Add(const std::string& secret) {
  if (secret.size() < kMinSecretLength) return;
  auto add = [&](const std::string& form) {
    if (std::find(secrets_.begin(), secrets_.end(), form) == secrets_.end())
      secrets_.push_back(form);
  };
  add(secret);
  add(UrlEncode(secret));
  for (const std::string& core : Base64Cores(secret)) add(core);
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

bool IsCredentialName(const std::string& name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* word : {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return upper == "AWS_ACCESS_KEY_ID";
}

std::string Redactor::Apply(std::string text) const {
  for (const std::string& s : secrets_) {
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3)) {
      text.replace(pos, s.size(), "***");
    }
  }
  return text;
}

Value Redactor::Apply(const Value& value) const {
  if (secrets_.empty()) return value;
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
      for (const auto& [k, v] : value.as_map()) out[k] = Apply(v);
      return Value(std::move(out));
    }
    default:
      return value;
  }
}

}  // namespace runbook
