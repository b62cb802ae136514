#pragma once

#include <chrono>

namespace kata::sys {

// Absolute points in time on the monotonic clock: a caller hands one deadline down
// through several blocking steps instead of re-budgeting a timeout at each.
using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadline_after(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }

// Milliseconds left, rounded up and clamped to [0, INT_MAX], as poll() wants them.
int poll_timeout_ms(Deadline deadline);

inline bool expired(Deadline deadline) { return Clock::now() >= deadline; }

}  // namespace kata::sys
