#include "sys/mount_options.h"

#include <sys/mount.h>

#include <string_view>

#include "common/strings.h"

namespace kata::sys {
namespace {

struct FlagWord {
  std::string_view word;
  unsigned long set;
  unsigned long clear;
};

// The words mount(8) turns into flags; "defaults"/"rw"/"suid"... clear them again.
// "remount" is here for split_spec_mount_options; parse_mount_options refuses it first.
constexpr FlagWord kFlags[] = {
    {"defaults", 0, 0},
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"remount", MS_REMOUNT, 0},
    {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},
    {"noatime", MS_NOATIME, 0},
    {"atime", 0, MS_NOATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"diratime", 0, MS_NODIRATIME},
    {"relatime", MS_RELATIME, 0},
    {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, 0},
    {"nostrictatime", 0, MS_STRICTATIME},
    {"lazytime", MS_LAZYTIME, 0},
    {"bind", MS_BIND, 0},
    {"rbind", MS_BIND | MS_REC, 0},
};

constexpr FlagWord kPropagation[] = {
    {"private", MS_PRIVATE, 0},       {"rprivate", MS_PRIVATE | MS_REC, 0},
    {"shared", MS_SHARED, 0},         {"rshared", MS_SHARED | MS_REC, 0},
    {"slave", MS_SLAVE, 0},           {"rslave", MS_SLAVE | MS_REC, 0},
    {"unbindable", MS_UNBINDABLE, 0}, {"runbindable", MS_UNBINDABLE | MS_REC, 0},
};

// Folds one word into `out`: a flag, a propagation (the last one wins, as with mount(8))
// or file-system data.
void add_word(const std::string& word, MountOptions& out) {
  for (const FlagWord& f : kFlags) {
    if (word != f.word) continue;
    out.flags = (out.flags | f.set) & ~f.clear;
    return;
  }
  for (const FlagWord& f : kPropagation) {
    if (word != f.word) continue;
    out.propagation = f.set;
    return;
  }
  out.data.push_back(word);
}

Error bad(std::string_view option, std::string_view why) {
  return Error(Code::kInvalidArgument,
               "mount option `" + std::string(option) + "`: " + std::string(why));
}

}  // namespace

std::string MountOptions::data_string() const {
  std::string out;
  for (const std::string& d : data) {
    if (!out.empty()) out += ',';
    out += d;
  }
  return out;
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const std::string& o : options) {
    if (o.empty()) return bad(o, "empty option");
    if (o.find('\0') != std::string::npos) return bad(o, "contains a NUL byte");
    if (o.find(',') != std::string::npos) return bad(o, "one option per element, no ','");
    if (o == "remount") return bad(o, "remount is not allowed");
    add_word(o, out);
  }
  return out;
}

MountOptions split_spec_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const std::string& o : options) {
    if (!o.empty()) add_word(o, out);
  }
  return out;
}

unsigned long bind_remount_flags(unsigned long flags) {
  return flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                  MS_RELATIME | MS_STRICTATIME);
}

Result<void> validate_clean_path(const std::string& path, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return Error(Code::kInvalidArgument, fmt_path(what, path) + ": " + std::string(why));
  };
  if (path.empty()) return bad("empty");
  if (path.find('\0') != std::string::npos) return bad("contains a NUL byte");
  if (path[0] != '/') return bad("not an absolute path");
  if (path.size() >= 4096) return bad("too long");
  if (path == "/") return {};
  if (path.back() == '/') return bad("trailing '/'");
  for (const std::string& part : split(path.substr(1), '/', /*skip_empty=*/false)) {
    if (part.empty()) return bad("empty path component");
    if (part == "." || part == "..") return bad("'.' or '..' component");
  }
  return {};
}

}  // namespace kata::sys
