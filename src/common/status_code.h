#pragma once

#include <cstdint>
#include <string_view>

namespace kata {

// gRPC status codes: ttRPC carries them in google.rpc.Status, and every layer of
// Kata++ reports errors with them so that nothing needs translating at the wire.
enum class Code : int32_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view code_name(Code code);

// The gRPC code that best describes a failed system call.
Code code_from_errno(int err);

}  // namespace kata
