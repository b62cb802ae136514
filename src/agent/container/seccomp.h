#pragma once

#include "agent/container/spec.h"
#include "common/result.h"

// An OCI seccomp profile compiled with libseccomp and loaded into the calling
// process (the container init, just before exec). Syscall names this kernel
// ABI does not know are skipped, as runc does.
namespace kata::agent::container {

// Does not set no_new_privs itself: the caller either set it or still holds
// CAP_SYS_ADMIN (then every later syscall of the init must pass the filter).
Result<void> load_seccomp(const Seccomp& profile);

}  // namespace kata::agent::container
