#pragma once

// Narrowing this process's capabilities, for helpers spawned without any
// (QEMU) and for the shim daemon, which keeps only what it and virtiofsd use.
#include <cstdint>
#include <initializer_list>

#include "common/result.h"

namespace kata::sys {

// A set of capabilities as a bit mask (bit n = capability n, <linux/capability.h>).
uint64_t capability_mask(std::initializer_list<int> capabilities);

// /proc/sys/kernel/cap_last_cap: the highest capability this kernel knows.
Result<int> read_last_cap();

// Empties the ambient and inheritable sets and removes every capability outside
// `keep` from the bounding, permitted and effective sets, for this process and
// what it will execute. Async-signal-safe (prctl and capget/capset only), so a
// child may call it between fork and exec. A non-root caller that may not
// shrink the bounding set still loses the rest. False with errno on failure.
bool limit_capabilities(uint64_t keep, int last_cap);

}  // namespace kata::sys
