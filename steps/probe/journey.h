// An HTTP journey for `probe kind: http`: requests run in order as one virtual user, with
// the user's own cookies and the values it extracted ({{name}} in later paths, headers and
// bodies). One VirtualUser per thread; the parsed journey is shared read-only.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/plugin/cancel.h"
#include "engine/util/duration.h"
#include "engine/util/status.h"
#include "engine/util/value.h"
#include "steps/common/http.h"

namespace runbook {

struct JourneyRequest {
  std::string name;
  std::string method = "GET";
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<Value> json;                                 // the body, sent as JSON
  std::vector<int64_t> expect_status;                        // empty: any 2xx
  std::vector<std::pair<std::string, Value>> expect_json;    // JSON pointer -> expected value
  std::vector<std::pair<std::string, std::string>> extract;  // variable -> JSON pointer
};

// The `journey` parameter, checked: every request has a name and a path, known keys only,
// JSON pointers start with '/', and every {{name}} is extracted by an earlier request.
Result<std::vector<JourneyRequest>> ParseJourney(const Value& journey);
// Each request's first mistake, by its index in the journey, for the load-time check that
// places each at its request (a request after a bad one is still checked; what the bad one
// extracts counts as known). Empty when the journey is sound; a journey that is no list:
// one mistake at index 0.
std::vector<std::pair<size_t, Status>> JourneyMistakes(const Value& journey);

// The value at RFC 6901 `pointer` in `doc`, or nullptr.
const Value* JsonPointer(const Value& doc, const std::string& pointer);

struct RequestOutcome {
  size_t index = 0;  // into the journey
  double ms = 0;     // wall time of the exchange
  bool ok = false;
  std::string error;  // why not ok: "HTTP 500", "/token missing", a transport error
};

class VirtualUser {
 public:
  VirtualUser(std::string base_url, Millis timeout)
      : base_url_(std::move(base_url)), timeout_(timeout) {}
  // Runs the journey once with fresh cookies and variables, appending one outcome per
  // request made. Stops at the first failed request: later ones depend on it.
  void RunOnce(const std::vector<JourneyRequest>& journey, const CancelToken& cancel,
               std::vector<RequestOutcome>& out);

 private:
  RequestOutcome Exchange(const JourneyRequest& r, size_t index, const CancelToken& cancel);
  std::string Fill(const std::string& text) const;
  Value FillValue(const Value& v) const;
  void KeepCookies(const HttpResponse& response);

  std::string base_url_;
  Millis timeout_;
  HttpClient client_;
  std::vector<std::pair<std::string, std::string>> vars_;
  std::vector<std::pair<std::string, std::string>> cookies_;
};

}  // namespace runbook
