#pragma once

#include <string_view>

#include "common/result.h"

namespace kata {

// The longest sandbox or container id: ids name directories and sockets, and
// /run/kata-containers/<id>/virtiofsd.sock must fit in sockaddr_un's 108 bytes.
// containerd, CRI-O, Docker and podman ids are 64 hex digits.
inline constexpr size_t kMaxIdLength = 64;

// The one rule for every id the runtime, the shim and the agent accept: 1 to
// kMaxIdLength of [A-Za-z0-9_.-], not starting with '.', so that an id is one
// safe path component (never ".", ".." or hidden). kInvalidArgument otherwise:
// "invalid id `../x`: only letters, digits, '-', '_' and '.' are allowed".
Result<void> validate_id(std::string_view id);

}  // namespace kata
