// spec and features: what a bundle looks like, and what this runtime takes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "common/fs.h"

namespace kata::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

// runc's default spec (`runc spec`): busybox-style `sh` on a terminal, a
// read-only rootfs, the usual mounts and new namespaces.
ordered_json default_spec() {
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  ordered_json process = {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities",
       {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
      {"noNewPrivileges", true},
  };
  auto mount = [](const char* dest, const char* type, const char* source,
                  std::vector<std::string> options) {
    ordered_json m = {{"destination", dest}, {"type", type}, {"source", source}};
    if (!options.empty()) m["options"] = options;
    return m;
  };
  ordered_json mounts = {
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };
  ordered_json namespaces = ordered_json::array();
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount"}) {
    namespaces.push_back({{"type", ns}});
  }
  return {
      {"ociVersion", "1.0.2-dev"},
      {"process", process},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "kata"},
      {"mounts", mounts},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"namespaces", namespaces},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
}

int spec(const GlobalOptions& g, const std::string& bundle) {
  std::string path = (bundle.empty() ? "." : bundle) + "/config.json";
  std::string text = default_spec().dump(1, '\t') + "\n";
  // O_EXCL: an existing config.json is the user's, never overwritten.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST) {
    return report(g, Error(Code::kAlreadyExists, "File " + path + " exists. Remove it first"));
  }
  if (fd < 0) return report(g, Error::from_errno(errno, "open `" + path + "`"));
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return written ? 0 : report(g, Error::from_errno(errno, "write `" + path + "`"));
}

// What the guest's container engine takes (runtime-spec features.md), as runc reports it.
ordered_json features() {
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.0.2-dev"},
      // Hooks would run on the host around a container that lives in the VM: not built.
      {"hooks", ordered_json::array()},
      {"mountOptions",
       {"async",       "atime",         "bind",    "defaults", "dev",        "diratime", "dirsync",
        "exec",        "mand",          "noatime", "nodev",    "nodiratime", "noexec",   "nomand",
        "norelatime",  "nostrictatime", "nosuid",  "private",  "rbind",      "relatime", "remount",
        "ro",          "rprivate",      "rshared", "rslave",   "rw",         "shared",   "slave",
        "strictatime", "sync"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "uts"}},
        {"cgroup", {{"v1", false}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp", {{"enabled", true}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations",
       {{"org.katacontainers.kata-runtime.version", KATA_VERSION},
        {"io.katacontainers.config.hypervisor.default_vcpus", "see enable_annotations"},
        {"io.katacontainers.config.hypervisor.default_memory", "see enable_annotations"}}},
  };
}

}  // namespace

void add_info_verbs(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;
  auto bundle = std::make_shared<std::string>();
  CLI::App* spec_cmd =
      verbs.add(app, "spec", "create a new config.json", [&g, bundle] { return spec(g, *bundle); });
  spec_cmd->add_option("-b,--bundle", *bundle, "where to write config.json");
  verbs.add(app, "features", "show the features this runtime takes", [] {
    std::printf("%s\n", features().dump(4).c_str());
    return 0;
  });
}

}  // namespace kata::cli
