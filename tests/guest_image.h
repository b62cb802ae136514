#pragma once

// What kata-osbuilder leaves in a guest directory, for the tests and benches that boot
// it. Header-only; needs kata_common.
#include <string>

#include "common/fs.h"

namespace kata::testing {

// The kernel in `dir`: vmlinux when kata-osbuilder built one from source, else Debian's
// vmlinuz (`kata-osbuilder --kernel debian`). tools/osbuilder/guest-kernel says the same
// for scripts.
inline std::string guest_kernel(const std::string& dir) {
  std::string vmlinux = dir + "/vmlinux";
  return fs::exists(vmlinux) ? vmlinux : dir + "/vmlinuz";
}

}  // namespace kata::testing
