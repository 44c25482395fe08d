// Runbooks the server-engine restore tests share: a backup and a restore (verify first)
// for PostgreSQL or MariaDB, run with the real binary in their folder.
#pragma once

#include <string>

#include "support/support.h"

namespace runbook::test {

// A backup runbook and a restore runbook (a verify step first, unless `verify` is false) for
// `engine` (postgres, mysql): `database` names the live database; `check` is what
// integrity-check needs (server or workspace); `extra` more keys of the restore step.
inline void WriteRunbooks(const std::string& dir, const std::string& engine,
                          const std::string& database, const std::string& check,
                          const std::string& extra, bool verify = true) {
  WriteFile(dir, "backup.yaml",
            "version: 1\nname: b\nsteps:\n  - id: b\n    uses: backup\n    with:\n"
            "      engine: " +
                engine + "\n      database: '" + database + "'\n      dest: dumps\n");
  std::string steps =
      verify ? "  - id: verify\n    uses: integrity-check\n    with:\n      engine: " + engine +
                   "\n      source: ${{ params.dump }}\n      " + check + "\n"
             : "";
  WriteFile(dir, "restore.yaml",
            "version: 1\nname: r\nparams:\n  dump: {type: string}\n"
            "  switch: {type: string, default: rename}\nsteps:\n" +
                steps + "  - id: restore\n    uses: restore\n" +
                (verify ? "    needs: [verify]\n" : "") + "    with:\n      engine: " + engine +
                "\n      source: ${{ params.dump }}\n      database: '" + database +
                "'\n      switch: ${{ params.switch }}\n      env_file: env/app.env\n" + extra);
}

inline Command Run(const std::string& dir, const std::string& args) {
  return Shell("cd " + dir + " && " + Binary() + " run " + args + " --audit-db a.db");
}

inline std::string NewestDump(const std::string& dir) {
  std::string d = Shell("ls -t " + dir + "/dumps/* | grep -v meta.json | head -n 1").out;
  if (!d.empty()) d.pop_back();
  return d;
}

}  // namespace runbook::test
