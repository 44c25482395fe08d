#include "steps/common/restore_trust.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace runbook {
namespace {

const Value* Out(const PassedStep& s, const char* key) {
  auto it = s.outputs.find(key);
  return it == s.outputs.end() ? nullptr : &it->second;
}

std::string Text(const Value* v) { return v ? v->ToText() : std::string(); }

}  // namespace

Vouch VerifiedBy(const std::vector<PassedStep>& passed, const std::string& source,
                 const std::vector<std::string>& sha256s) {
  Vouch found;
  auto take = [&found](const std::string& id, bool authenticated, const std::string& meta) {
    if (found.by.empty() || (authenticated && !found.authenticated))
      found = {id, authenticated, meta};
  };
  auto known = [&](const Value* v) {
    return v && std::find(sha256s.begin(), sha256s.end(), v->ToText()) != sha256s.end();
  };
  for (const PassedStep& s : passed) {
    if (s.type == "integrity-check" && Out(s, "ok") && Out(s, "ok")->Truthy() &&
        Text(Out(s, "source")) == source && known(Out(s, "sha256")))
      take(s.id, Out(s, "authenticated") && Out(s, "authenticated")->Truthy(),
           Text(Out(s, "meta_sha256")));
    const Value* files = Out(s, "files");
    if (s.type != "hash" || !files || !files->is_list()) continue;
    for (const Value& f : files->as_list()) {
      if (Text(f.Find("path")) == source && known(f.Find("sha256")) && f.Find("verified") &&
          f.Find("verified")->Truthy())
        take(s.id, Text(f.Find("signature")) == "valid", Text(f.Find("meta_sha256")));
    }
  }
  return found;
}

std::string FileIdentity(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

std::optional<CheckedCopy> KeptCheckedCopy(const std::vector<PassedStep>& passed,
                                           const std::string& source) {
  std::optional<CheckedCopy> found;
  for (const PassedStep& s : passed) {
    if (s.type != "integrity-check" || !Out(s, "ok") || !Out(s, "ok")->Truthy() ||
        Text(Out(s, "source")) != source || Text(Out(s, "workspace")).empty() ||
        Text(Out(s, "workspace_sha256")).empty() || Text(Out(s, "workspace_file")).empty())
      continue;
    found = CheckedCopy{s.id, Text(Out(s, "workspace")), Text(Out(s, "workspace_sha256")),
                        Text(Out(s, "workspace_file")),
                        Text(Out(s, "sha256"))};  // the last one kept wins
  }
  return found;
}

std::string Unbelieved(const StepParams& params, const std::string& source,
                       const std::string& sha256, const Vouch& vouch, const LoadedMeta* meta,
                       bool& authenticated) {
  authenticated = false;
  if (const Value* key = params.Opt("public_key")) {
    if (meta == nullptr) return "not authentic: there is no " + MetaPathFor(source);
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(source, ec);
    if (ec) return "cannot read the size of " + source + ": " + ec.message();
    Status s = CheckAuthentic(*meta, source, size, sha256, key->ToText());
    if (!s.ok()) return "not authentic: " + s.message();
    authenticated = true;
    return "";
  }
  if (!vouch.authenticated) return "";
  if (meta == nullptr || meta->sha256 != vouch.meta_sha256)
    return MetaPathFor(source) + " changed after step '" + vouch.by +
           "' checked its signature: it is not the metadata that was authenticated";
  authenticated = true;
  return "";
}

}  // namespace runbook
