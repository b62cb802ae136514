#pragma once

// /proc/<pid>/mountinfo, for leak checks, crash cleanup and unmounting trees.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kata::sys {

struct MountEntry {
  int id = 0;
  int parent_id = 0;
  std::string root;         // field 4: the path inside the source file system
  std::string mount_point;  // field 5, unescaped
  std::string options;      // field 6: the per-mount flags, "rw,nosuid,nodev,relatime"
  std::string fstype;       // after the " - " separator
  std::string source;
  std::string super_options;  // the file system's own: "rw,memory" names a cgroup v1 hierarchy
  std::string propagation;    // the optional fields: "shared:12 master:3", "" = private
};

// "\040" -> " ": the kernel escapes space, tab, newline and backslash in octal.
std::string unescape_mount_path(std::string_view field);

// Lines that do not parse are skipped: the kernel writes this file, and one odd line
// must not hide the others from a cleanup.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

// `path` itself or anything below it ("/a/b" is under "/a", "/ab" is not).
bool path_is_under(std::string_view path, std::string_view prefix);

// The entries mounted at or under `prefix`, in mount order (the kernel lists a mount
// after the one it covers).
std::vector<MountEntry> mounts_under(const std::vector<MountEntry>& all, std::string_view prefix);

// read + parse + mounts_under over /proc/self/mountinfo (or `mountinfo_path`).
Result<std::vector<MountEntry>> list_mounts_under(
    std::string_view prefix, const std::string& mountinfo_path = "/proc/self/mountinfo");

}  // namespace kata::sys
