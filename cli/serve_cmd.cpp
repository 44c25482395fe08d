// runbook serve: the command line of the long-running server (serve/server.h).
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <iostream>

#include "cli/audit_open.h"
#include "cli/commands.h"
#include "engine/util/duration.h"
#include "engine/util/strings.h"
#include "serve/server.h"
#include "serve/tokens.h"

namespace runbook {
namespace {

// "127.0.0.1:8765", "[::1]:8765", "localhost:9000" -> host and port; false when malformed.
bool SplitListen(const std::string& listen, std::string& host, int& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return false;  // "::1:8765" is itself an IPv6 address: brackets say where the port is
  // (RFC 3986 3.2.2, as curl and ssh -L read it; breakNN NN6)
  std::string digits = listen.substr(colon + 1);
  if (host.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  port = std::stoi(digits);
  return port >= 1 && port <= 65535;
}

std::string SelfBinary() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "runbook";
}

}  // namespace

int CmdServe(const StepRegistry& registry, const ServeCliOptions& o) {
  ServeOptions options;
  if (!SplitListen(o.listen, options.host, options.port)) {
    std::cerr << "runbook: error: --listen '" << o.listen
              << "' is not HOST:PORT such as 127.0.0.1:8765 (an IPv6 address in brackets: "
                 "[::1]:8765)\n";
    return kExitInvalid;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(o.runbooks, ec)) {
    std::cerr << "runbook: error: --runbooks " << o.runbooks << " is not a folder\n";
    return kExitInvalid;
  }
  options.runbooks_dir = std::filesystem::absolute(o.runbooks, ec).lexically_normal().string();
  auto choice = ChooseAndSay(o.audit_db, options.runbooks_dir);
  if (!choice) return kExitEnvironment;
  // The store's real path (symlinks resolved): the state folder beside it, and its serve.lock,
  // are one per store file however it is named (breakTT TT17: a symlinked name was another
  // state folder, and two serves fired every schedule).
  std::filesystem::path store = std::filesystem::absolute(choice->path, ec);
  std::filesystem::create_directories(store.parent_path(), ec);
  options.audit_db = std::filesystem::weakly_canonical(store, ec).string();
  if (ec) options.audit_db = store.string();
  // One state folder per store file (breakUU UU10: prod.db and staging.db in one folder
  // shared serve/, so each serve took the other's dead runs for its own): serve/ beside the
  // default audit.db, serve-NAME/ beside any other store file.
  const std::filesystem::path real(options.audit_db);
  options.state_dir =
      real.parent_path() /
      (real.filename() == "audit.db" ? std::string("serve") : "serve-" + real.filename().string());
  options.insecure_listen = o.insecure_listen;
  options.tokens = o.tokens;
  options.tls_cert = o.tls_cert;
  options.tls_key = o.tls_key;
  options.self = SelfBinary();
  auto grace = ParseDuration(o.stop_grace);
  if (!grace || grace->count() <= 0 || *grace > std::chrono::hours(1)) {
    std::cerr << "runbook: error: --stop-grace '" << Printable(o.stop_grace)
              << "' is not a duration from 1ms to 1h such as 30s or 2m\n";
    return kExitInvalid;
  }
  options.stop_grace = *grace;
  SystemClock clock;
  return Serve(registry, options, clock);
}

int CmdTokenAdd(const std::string& name, const std::string& roles, const std::string& file) {
  auto token = AddToken(file, name, roles);
  if (!token.ok()) {
    std::cerr << "runbook: error: " << token.status().message() << "\n";
    return kExitInvalid;
  }
  std::cerr << "runbook: token '" << name << "' (" << roles << ") added to " << file
            << "; it is shown this once:\n";
  std::cout << token.value() << "\n";
  return kExitOk;
}

}  // namespace runbook
