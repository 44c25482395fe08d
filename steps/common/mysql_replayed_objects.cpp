#include "steps/common/mysql_replayed_objects.h"

#include <algorithm>

#include "engine/util/strings.h"

namespace runbook {

const char* const kReplayedObjectsQuery =
    "SELECT 'view', table_name, definer, security_type FROM information_schema.views WHERE "
    "table_schema = {db} UNION ALL SELECT 'trigger', trigger_name, definer, '' FROM "
    "information_schema.triggers WHERE trigger_schema = {db} UNION ALL SELECT "
    "LOWER(routine_type), routine_name, definer, security_type FROM information_schema.routines "
    "WHERE routine_schema = {db} UNION ALL SELECT 'event', event_name, definer, '' FROM "
    "information_schema.events WHERE event_schema = {db} ORDER BY 1, 2";

std::vector<std::string> ReplayedObjectProblems(const std::vector<std::vector<std::string>>& rows,
                                                const std::optional<std::string>& replay_definer) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    if (r.size() < 4) continue;
    const std::string what = "the dump's " + r[0] + " " + r[1];
    if (replay_definer && r[2] == *replay_definer)
      out.push_back(what +
                    " has no DEFINER: it would be owned by the restore's temporary account, "
                    "which is dropped after the replay, and fail when the app uses it (error "
                    "1449); give it a DEFINER in the dump, or replay_account: own makes the "
                    "connecting account its definer");
    else if (r[3] == "INVOKER")
      out.push_back(what +
                    " runs with its caller's rights (SQL SECURITY INVOKER): the app using it "
                    "would run the dump's code as itself, beyond the new database; a restored "
                    "object must run with its definer's rights");
  }
  return out;
}

const char* const kTableOptionsQuery =
    "SELECT table_name, create_options FROM information_schema.tables WHERE table_schema = {db} "
    "AND table_type = 'BASE TABLE' ORDER BY 1";

bool PartitionedOptions(const std::string& create_options) {
  return AsciiUpper(create_options).find("PARTITIONED") != std::string::npos;
}

std::string TableDirectoryProblem(const std::string& table, const std::string& text) {
  std::string upper = AsciiUpper(text);
  bool data = upper.find("DATA DIRECTORY") != std::string::npos;
  bool index = upper.find("INDEX DIRECTORY") != std::string::npos;
  if (!data && !index) return "";
  return "the dump's table " + table + " keeps its files outside the server's data folder (" +
         std::string(data ? "DATA DIRECTORY" : "INDEX DIRECTORY") +
         "): a restore writes only inside the server's data folder";
}

}  // namespace runbook
