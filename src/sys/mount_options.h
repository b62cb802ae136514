#pragma once

// mount(8)-style option words split into mount(2) flags and file-system data.
// Shared by the host (container rootfs) and the guest agent (storages).
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::sys {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC...
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
  // Everything that is not a flag word, joined with ',' for the file system ("lowerdir=/a").
  std::vector<std::string> data;

  std::string data_string() const;
};

// Each element is one option: an element holding ',' would smuggle extra options into
// the data string (e.g. "lowerdir=/a,upperdir=/etc"), so it is refused, as are empty
// elements and NUL bytes. "remount" is refused: nobody may remount through a spec.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);

// An absolute path without ".", ".." or empty components, no trailing '/', no NUL: what
// a mount target or source must look like before it reaches mount(2). `what` names it
// in the error ("rootfs target `x`: not an absolute path").
Result<void> validate_clean_path(const std::string& path, std::string_view what);

}  // namespace kata::sys
