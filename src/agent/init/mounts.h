#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::agent {

struct MountSpec {
  const char* source;
  const char* target;
  const char* fstype;
  unsigned long flags;
  const char* data;
  int dir_mode;  // for the mount point if it has to be created
  // Tried first in place of `data`: options that only speed things up, which an
  // older kernel may reject; the mount then gets `data`.
  const char* optional_data = nullptr;
};

// The file systems PID 1 sets up, in order (each target lies on an earlier one).
const std::vector<MountSpec>& base_mounts();

// Mount points listed in /proc/self/mountinfo text (field 5), unescaped.
std::set<std::string> parse_mount_points(std::string_view mountinfo);

// Mounts /dev and /proc, so that the console can be opened and the kernel
// command line read before anything else can fail. Returns what it mounted.
Result<std::vector<std::string>> mount_early();

// Mounts every base mount that is not mounted yet, creating mount points, and
// adds the /dev links that programs expect (fd, stdin, stdout, stderr).
// Returns what it mounted.
Result<std::vector<std::string>> mount_base_filesystems();

}  // namespace kata::agent
