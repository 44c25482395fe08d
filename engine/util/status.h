// Status and Result<T>: the channel for environment failures (a file that cannot be
// written, a process that cannot be spawned). Author mistakes go through diagnostics and
// step failures through attempt outcomes; neither uses Status. Cheap to copy; thread-safe
// as a value.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace runbook {

// Where in a runbook file an error was found, when it was: `file` "" for the file the caller
// reads (a used runbook's errors name theirs), `line` and `col` 1-based.
struct ErrorSite {
  std::string file;
  int line = 0;
  int col = 0;
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }
  // An error with strerror(errnum) appended: "context: No such file or directory".
  static Status FromErrno(const std::string& context, int errnum);
  // A lock another process held past the wait allowed (SQLite's SQLITE_BUSY or
  // SQLITE_LOCKED): nothing was changed, and the same call may succeed later. The one kind of
  // environment failure a caller may wait out (`run --wait` before its first record).
  static Status Busy(std::string message) {
    Status s(std::move(message));
    s.busy_ = true;
    return s;
  }

  bool ok() const { return !message_.has_value(); }
  const std::string& message() const;
  // Whether this error is a Busy one.
  bool busy() const { return busy_; }
  // The same error, of the same kind, its message after `prefix` ("audit store X: ").
  Status Prefixed(const std::string& prefix) const {
    Status s(prefix + message());
    s.busy_ = busy_;
    s.site_ = site_;
    return s;
  }
  // Where a runbook's error was found (engine/template.h LocateError), for a reader that
  // places it (validate's FILE:LINE:COL, GitHub annotations); null when nobody said. The
  // message says it too, in words, for every other reader.
  const ErrorSite* site() const { return site_ ? &*site_ : nullptr; }
  // This error found at `site`; an error already placed keeps its own (the innermost place
  // is the precise one), taking `site.file` only when it named none.
  Status Sited(const ErrorSite& site) const {
    Status s = *this;
    if (!s.site_)
      s.site_ = site;
    else if (s.site_->file.empty())
      s.site_->file = site.file;
    return s;
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
  bool busy_ = false;
  std::optional<ErrorSite> site_;
};

template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}  // NOLINT: must be an error

  bool ok() const { return std::holds_alternative<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace runbook
