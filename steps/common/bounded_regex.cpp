#include "steps/common/bounded_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace runbook {

struct BoundedRegex::State {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_match_data* data = nullptr;  // reused by every Search (one line of a log each)
  ~State() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

namespace {

std::string ErrorText(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0)
    return "error " + std::to_string(code);
  return reinterpret_cast<const char*>(buffer);
}

}  // namespace

Result<BoundedRegex> BoundedRegex::Compile(const std::string& pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto state = std::make_shared<State>();
  state->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0,
                              &error, &offset, nullptr);
  if (state->code == nullptr)
    return Status::Error("not a valid regular expression at character " +
                         std::to_string(offset + 1) + ": " + ErrorText(error));
  state->context = pcre2_match_context_create(nullptr);
  state->data = pcre2_match_data_create_from_pattern(state->code, nullptr);
  if (state->context == nullptr || state->data == nullptr)
    return Status::Error("out of memory for a regular expression");
  pcre2_set_match_limit(state->context, kMatchLimit);
  pcre2_set_depth_limit(state->context, 10'000);
  pcre2_set_heap_limit(state->context, 16 * 1024);  // KiB
  BoundedRegex re;
  re.state_ = std::move(state);
  return re;
}

Result<bool> BoundedRegex::Search(std::string_view subject) const {
  int rc = pcre2_match(state_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                       0, 0, state_->data, state_->context);
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
    return Status::Error("the regular expression takes too much work on a " +
                         std::to_string(subject.size()) + "-byte text (more than " +
                         std::to_string(kMatchLimit) + " steps or 16 MiB); simplify it");
  return Status::Error("the regular expression failed: " + ErrorText(rc));
}

}  // namespace runbook
