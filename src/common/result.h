#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/status_code.h"

namespace kata {

// An error as a value: a gRPC code, the errno that caused it (0 if none) and a
// message to which each layer prepends its context ("start sandbox x: ...").
class Error {
 public:
  Error(Code code, std::string message, int sys_errno = 0)
      : code_(code), sys_errno_(sys_errno), message_(std::move(message)) {}

  // "what: strerror(err)", with the code derived from the errno.
  static Error from_errno(int err, std::string_view what);

  Code code() const { return code_; }
  int sys_errno() const { return sys_errno_; }
  const std::string& message() const { return message_; }

  Error context(std::string_view ctx) && {
    message_ = std::string(ctx) + ": " + message_;
    return std::move(*this);
  }

 private:
  Code code_;
  int sys_errno_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  Result context(std::string_view ctx) && {
    if (ok()) return std::move(*this);
    return std::move(*this).error().context(ctx);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }

  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

  Result context(std::string_view ctx) && {
    if (ok()) return {};
    return std::move(*error_).context(ctx);
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace kata

#define KATA_CONCAT_INNER_(a, b) a##b
#define KATA_CONCAT_(a, b) KATA_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result) from the enclosing function.
#define KATA_TRY(expr)                                                 \
  do {                                                                 \
    auto kata_try_result_ = (expr);                                    \
    if (!kata_try_result_) return std::move(kata_try_result_).error(); \
  } while (0)

// `KATA_ASSIGN_OR_RETURN(auto fd, open_at(...));`
#define KATA_ASSIGN_OR_RETURN(lhs, expr) \
  KATA_ASSIGN_OR_RETURN_IMPL_(KATA_CONCAT_(kata_result_, __LINE__), lhs, expr)
#define KATA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp) return std::move(tmp).error();          \
  lhs = std::move(tmp).value()
