#include "engine/util/status.h"

#include <cstring>

namespace runbook {

Status Status::FromErrno(const std::string& context, int errnum) {
  return Status(context + ": " + std::strerror(errnum));
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return message_ ? *message_ : kEmpty;
}

}  // namespace runbook
