// One reader for every POST body of serve's API (docs/api.md): a JSON object whose fields are
// among those the route knows, each of its kind. An unknown field, or one of the wrong kind,
// is refused naming it, never ignored: a misspelt field would silently do something else
// (breakWW WW10: {"forse": true} on a resume; breakXX XX3: {"param": {"target": "staging"}}
// started a restore with its default target, prod). As GitHub's REST API answers 422 naming
// the field; here 400, as api.md documents for a bad body.
#pragma once

#include <string>
#include <vector>

#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

enum class FieldKind {
  kObject,      // a JSON object
  kBool,        // true or false
  kStringList,  // a list of strings
};

struct BodyField {
  std::string name;
  FieldKind kind;
};

// `body` read as such an object: its fields, all among `known` and of their kinds. An empty
// body reads as {} (a POST with nothing to say). Errors, in words for the caller (the body
// itself is never quoted: it may hold a secret): invalid JSON (a key twice included), not an
// object, an unknown field (the known ones listed), a field of the wrong kind.
Result<Value::Map> ReadBody(const std::string& body, const std::vector<BodyField>& known);

// Field `name` of a body ReadBody read; nullptr when it was not given.
const Value* FieldOf(const Value::Map& body, const std::string& name);

// Why the query of `target` (a request's path and query as sent, before decoding) cannot be
// read as written: a NAME=VALUE piece with a second '=' (cpp-httplib keeps the last part as
// the value: ?status=bogus=success was read as status=success; breakFF FF3). A '=' in a value
// is sent as %3D. "" when every piece has at most one.
std::string QueryProblem(const std::string& target);

}  // namespace runbook
