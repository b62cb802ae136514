#include "agent/sandbox.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/strings.h"

namespace kata::agent {
namespace {

constexpr char kResolvConf[] = "/etc/resolv.conf";
constexpr char kMemBlockSize[] = "/sys/devices/system/memory/block_size_bytes";
constexpr char kMemProbe[] = "/sys/devices/system/memory/probe";
// Long enough for the DestroySandbox reply to leave through virtio, short
// enough that the host sees QEMU exit right after the reply.
constexpr auto kPowerOffDelay = std::chrono::milliseconds(200);

std::string join_parameters(const std::vector<std::string>& params) {
  std::string out;
  for (const std::string& p : params) {
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

}  // namespace

Result<uint64_t> parse_hex_u64(std::string_view text) {
  std::string_view t = trim(text);
  if (t.starts_with("0x") || t.starts_with("0X")) t.remove_prefix(2);
  if (t.empty() || t.size() > 16) {
    return Error(Code::kInvalidArgument, "not a 64-bit hex number: `" + std::string(text) + "`");
  }
  uint64_t v = 0;
  for (char c : t) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0)
      return Error(Code::kInvalidArgument, "not a hex number: `" + std::string(text) + "`");
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return v;
}

Result<void> Sandbox::create(const SandboxSpec& spec) {
  std::lock_guard lock(mu_);
  if (id_) {
    return Error(Code::kAlreadyExists,
                 "create sandbox " + spec.id + ": sandbox " + *id_ + " already exists in this VM");
  }
  auto ctx = "create sandbox " + spec.id;
  if (!spec.hostname.empty()) KATA_TRY(os_.set_hostname(spec.hostname).context(ctx));
  if (!spec.dns.empty()) {
    std::string resolv;
    for (const std::string& line : spec.dns) resolv += line + "\n";
    KATA_TRY(os_.write_file(kResolvConf, resolv).context(ctx));
  }
  for (const KernelModuleSpec& m : spec.kernel_modules) {
    KATA_TRY(os_.load_module(m.name, join_parameters(m.parameters)).context(ctx));
  }
  // After the hostname: the shared UTS namespace is the guest's copy too.
  if (scope_) KATA_TRY(scope_->open(spec.id, spec.hostname).context(ctx));
  Result<std::vector<std::string>> mounted = add_storages(spec.storages, storages_, os_);
  if (!mounted) {
    if (scope_) (void)scope_->close();  // the storage error is the one to report
    return std::move(mounted).error().context(ctx);
  }
  storage_mounts_ = std::move(*mounted);
  id_ = spec.id;
  log::info("sandbox {} created (hostname `{}`)", spec.id, spec.hostname);
  return {};
}

Result<void> Sandbox::destroy() {
  {
    std::lock_guard lock(mu_);
    log::info("destroy sandbox {}: powering off", id_.value_or("(none)"));
    if (scope_ && id_) {
      // Best effort: the VM goes down anyway.
      Result<void> closed = scope_->close();
      if (!closed) log::warn("destroy sandbox {}: {}", *id_, closed.error().message());
    }
  }
  os_.power_off_after(kPowerOffDelay);
  return {};
}

Result<void> Sandbox::set_time(int64_t sec, int64_t usec) {
  if (usec < 0 || usec >= 1000000) {
    return Error(Code::kInvalidArgument,
                 "set guest time: usec " + std::to_string(usec) + " out of range");
  }
  return os_.set_time(sec, usec).context("set guest time");
}

constexpr char kOsRelease[] = "/proc/sys/kernel/osrelease";
constexpr char kOsVersion[] = "/proc/sys/kernel/version";

Result<GuestDetails> Sandbox::guest_details(bool want_mem_block_size, bool want_hotplug_probe) {
  GuestDetails d;
  // A kernel without memory hotplug has no such file: the block size is then 0, as upstream.
  if (want_mem_block_size && os_.exists(kMemBlockSize)) {
    KATA_ASSIGN_OR_RETURN(std::string text, os_.read_file(kMemBlockSize));
    KATA_ASSIGN_OR_RETURN(d.mem_block_size_bytes,
                          parse_hex_u64(text).context(std::string("read ") + kMemBlockSize));
  }
  if (want_hotplug_probe) d.mem_hotplug_probe = os_.exists(kMemProbe);
  // Best effort: the host shows it to users, nothing depends on it.
  if (Result<std::string> release = os_.read_file(kOsRelease)) {
    d.kernel_release = std::string(trim(*release));
  }
  if (Result<std::string> version = os_.read_file(kOsVersion)) {
    d.kernel_version = std::string(trim(*version));
  }
  return d;
}

Result<void> Sandbox::add_container_storages(const std::vector<StorageSpec>& specs) {
  std::lock_guard lock(mu_);
  if (!id_) return Error(Code::kFailedPrecondition, "container storages before CreateSandbox");
  std::vector<StorageSpec> missing;
  for (const StorageSpec& s : specs) {
    if (s.driver != "ephemeral")
      return Error(Code::kUnimplemented,
                   "container storage driver `" + s.driver + "` is not implemented by this agent");
    if (!s.mount_point.starts_with(kSandboxStorageDir) ||
        s.mount_point.starts_with(std::string(kSandboxStorageDir) + "ns"))
      return Error(Code::kInvalidArgument,
                   "container storage at `" + s.mount_point + "`: not under " + kSandboxStorageDir);
    if (std::find(storage_mounts_.begin(), storage_mounts_.end(), s.mount_point) ==
        storage_mounts_.end())
      missing.push_back(s);
  }
  KATA_ASSIGN_OR_RETURN(std::vector<std::string> mounted, add_storages(missing, storages_, os_));
  storage_mounts_.insert(storage_mounts_.end(), mounted.begin(), mounted.end());
  return {};
}

std::vector<std::string> Sandbox::storage_mounts() const {
  std::lock_guard lock(mu_);
  return storage_mounts_;
}

std::optional<std::string> Sandbox::id() const {
  std::lock_guard lock(mu_);
  return id_;
}

}  // namespace kata::agent
