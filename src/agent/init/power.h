#pragma once

#include <chrono>

namespace kata::agent {

// Syncs and powers the VM off. QEMU runs with -no-reboot, so the host sees
// QEMU exit. If the kernel refuses (not PID 1 under a test), exits instead.
[[noreturn]] void power_off();

// Powers off from a detached thread after `delay`, so that a reply being sent
// now (DestroySandbox's) still reaches the host.
void power_off_after(std::chrono::milliseconds delay);

}  // namespace kata::agent
