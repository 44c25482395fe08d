// What a replayed MariaDB/MySQL dump made besides tables (views, triggers, routines, events),
// judged before the restored database can be switched to (restore, engine mysql, switch:
// env). Two kinds cannot be kept:
// - an object owned by the temporary replay account (mysql_replay_account.h): the dump gave
//   no DEFINER, so the server made the account its definer, and the account is dropped right
//   after the replay: the app's first write, read or call fails with error 1449 (breakSS SS4:
//   the step said success, the database the env file pointed at was broken);
// - an object that runs with its caller's rights (SQL SECURITY INVOKER): the app, using it,
//   would run the dump's code as itself, beyond the new database, whatever the replay
//   account could do (breakSS SS6). mariadb-dump writes definer-rights objects.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace runbook {

// The query listing them: rows of kind ("view", "trigger", "procedure", "function",
// "event"), name, definer (user@host), security type ("DEFINER", "INVOKER", "" when the kind
// has none). `{db}`: the database, as a quoted literal.
extern const char* const kReplayedObjectsQuery;

// The problems (one per object, for people) among `rows` (kReplayedObjectsQuery's), with
// `replay_definer` the replay account as the server names a definer ("user@host"; nullopt
// when the dump was replayed as the connecting account).
std::vector<std::string> ReplayedObjectProblems(const std::vector<std::vector<std::string>>& rows,
                                                const std::optional<std::string>& replay_definer);

// Tables the replay made whose files are outside the server's data folder (DATA DIRECTORY or
// INDEX DIRECTORY, on the table or on a partition): the dump's scan refuses those options
// (breakSS SS3); this is the check after the replay, on what the server made, for whatever
// spelling the scan missed. The query lists rows of table name and CREATE_OPTIONS (which
// shows a table's directories, MariaDB MDEV-9307, but only "partitioned" for a partitioned
// table: its SHOW CREATE TABLE says where each partition is). `{db}`: the database, as a
// quoted literal.
extern const char* const kTableOptionsQuery;
// Whether a CREATE_OPTIONS value names a partitioned table (its SHOW CREATE TABLE is needed).
bool PartitionedOptions(const std::string& create_options);
// The problem with `table` whose CREATE_OPTIONS (and, when partitioned, SHOW CREATE TABLE
// text) is `text`; "" when its files are in the data folder.
std::string TableDirectoryProblem(const std::string& table, const std::string& text);

}  // namespace runbook
