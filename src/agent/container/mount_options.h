#pragma once

#include <string>
#include <vector>

// OCI mount options ("ro", "nosuid", "rbind", "mode=755", "rprivate", ...)
// split into what mount(2) takes. Pure, unit-tested.
namespace kata::agent::container {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...
  unsigned long propagation = 0;  // MS_PRIVATE | MS_REC, ... applied in a second mount call
  std::string data;               // the rest, comma-joined, for the file system
  bool bind() const;
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

// Flags a bind mount needs applied through a remount (the kernel ignores them
// on the first MS_BIND call): MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, atime flags.
unsigned long bind_remount_flags(unsigned long flags);

}  // namespace kata::agent::container
