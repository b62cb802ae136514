#include "sys/mountinfo.h"

#include <charconv>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::sys {
namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

bool parse_int(std::string_view s, int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string unescape_mount_path(std::string_view f) {
  std::string out;
  out.reserve(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 3 < f.size() && is_octal(f[i + 1]) && is_octal(f[i + 2]) &&
        is_octal(f[i + 3])) {
      out += static_cast<char>((f[i + 1] - '0') * 64 + (f[i + 2] - '0') * 8 + (f[i + 3] - '0'));
      i += 3;
    } else {
      out += f[i];
    }
  }
  return out;
}

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  for (const std::string& line : split(text, '\n')) {
    std::vector<std::string> w = split(line, ' ');
    // id parent major:minor root mount-point options [optional...] - fstype source super
    size_t sep = 0;
    for (size_t i = 6; i < w.size(); ++i) {
      if (w[i] == "-") {
        sep = i;
        break;
      }
    }
    if (sep == 0 || sep + 1 >= w.size()) continue;
    MountEntry e;
    if (!parse_int(w[0], e.id) || !parse_int(w[1], e.parent_id)) continue;
    e.root = unescape_mount_path(w[3]);
    e.mount_point = unescape_mount_path(w[4]);
    e.options = w[5];
    for (size_t i = 6; i < sep; ++i) {
      if (!e.propagation.empty()) e.propagation += ' ';
      e.propagation += w[i];
    }
    e.fstype = w[sep + 1];
    if (sep + 2 < w.size()) e.source = unescape_mount_path(w[sep + 2]);
    if (sep + 3 < w.size()) e.super_options = w[sep + 3];
    out.push_back(std::move(e));
  }
  return out;
}

bool path_is_under(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix == "/") return path.starts_with('/');
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::vector<MountEntry> mounts_under(const std::vector<MountEntry>& all, std::string_view prefix) {
  std::vector<MountEntry> out;
  for (const MountEntry& e : all) {
    if (path_is_under(e.mount_point, prefix)) out.push_back(e);
  }
  return out;
}

Result<std::vector<MountEntry>> list_mounts_under(std::string_view prefix,
                                                  const std::string& mountinfo_path) {
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file(mountinfo_path));
  return mounts_under(parse_mountinfo(text), prefix);
}

}  // namespace kata::sys
