#include "e2e/containerd_env.h"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/cni_exec.h"
#include "e2e/cri_config.h"
#include "e2e/leak_check.h"
#include "guest_image.h"
#include "sys/deadline.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// Plugins that only cost start-up time here: CRI unless asked for (ctr drives containerd
// otherwise) and snapshotters for file systems this host does not have.
constexpr const char* kContainerdConfig = R"(version = 2
root = "{dir}/root"
state = "{dir}/state"
disabled_plugins = [{cri_disabled}
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]
# 0 = leave containerd's oom_score_adj alone: lowering it needs CAP_SYS_RESOURCE, which
# this host's bounding set lacks. Shims only ever raise theirs, which needs nothing.
oom_score = 0

[grpc]
  address = "{dir}/c.sock"

[ttrpc]
  address = "{dir}/c.sock.ttrpc"

[debug]
  level = "info"
{cri}
)";

constexpr const char* kKataConfig =
    R"(# Written by the e2e harness (tests/e2e/containerd_env.cc, kata_test_config).
[hypervisor.qemu]
path = "/usr/bin/qemu-system-x86_64"
kernel = "{kernel}"
initrd = "{guest}/kata-initrd.img"
default_vcpus = 1
default_memory = {memory}
# TCG: /dev/kvm opens on the project's machines but cannot run a guest.
accelerator = "tcg"
{extra}

[agent.kata]
dial_timeout = {dial}

[runtime]
)";

// Mount points at or below `dir`, deepest first.
std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = split(line, ' ');
    if (f.size() > 4 && (f[4] == dir || starts_with(f[4], dir + "/"))) found.push_back(f[4]);
  }
  std::sort(found.begin(), found.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return found;
}

}  // namespace

EnvOptions default_options(const std::string& build_dir, const std::string& source_dir) {
  EnvOptions o;
  o.shim_dir = env_or("KATA_TEST_SHIM_DIR", build_dir + "/src/shim");
  o.guest_dir = env_or("KATA_TEST_GUEST_DIR", build_dir + "/guest");
  o.image_script = source_dir + "/tests/images/make-busybox-oci";
  o.pause_binary = build_dir + "/tests/images/pause";
  return o;
}

std::string kata_test_config(const EnvOptions& options) {
  std::string kernel = kata::testing::guest_kernel(options.guest_dir);
  return fmt::format(kKataConfig, fmt::arg("guest", options.guest_dir), fmt::arg("kernel", kernel),
                     fmt::arg("memory", options.vm_memory_mib),
                     fmt::arg("dial", options.dial_timeout_s),
                     fmt::arg("extra", options.extra_hypervisor_toml));
}

Result<std::unique_ptr<ContainerdEnv>> ContainerdEnv::start(const EnvOptions& options) {
  std::unique_ptr<ContainerdEnv> env(new ContainerdEnv(options));
  // Short: the sockets live here and sockaddr_un holds 108 bytes.
  char tmpl[] = "/tmp/kctd-XXXXXX";
  if (!::mkdtemp(tmpl)) return Error::from_errno(errno, "create the containerd temp dir");
  env->dir_ = tmpl;
  env->address_ = env->dir_ + "/c.sock";
  env->ns_ = fmt::format("e2e-{}", ::getpid());
  if (options.cri) {
    env->ns_ = "k8s.io";  // CRI's, whatever the caller
    // Each env its own bridge and subnet: test binaries run side by side.
    env->cri_bridge_ = fmt::format("kcri{}", ::getpid() % 100000);
    env->cri_subnet_ = fmt::format("10.98.{}.0/24", ::getpid() % 250 + 1);
  }
  KATA_TRY(env->write_configs().context("start containerd"));
  KATA_TRY(env->launch().context("start containerd"));
  KATA_TRY(env->import_image(options.image, "").context("import the test image"));
  if (options.cri)
    KATA_TRY(env->import_image(options.pause_image, options.pause_binary)
                 .context("import the pause image"));
  return env;
}

Result<void> ContainerdEnv::write_configs() {
  // The shim runs with containerd's cwd: only absolute paths mean the same there.
  options_.guest_dir = std::filesystem::absolute(options_.guest_dir).lexically_normal().string();
  std::string cri;
  if (options_.cri) {
    std::string conf_dir = dir_ + "/net.d";
    KATA_TRY(fs::mkdir_all(conf_dir));
    KATA_TRY(fs::write_file_atomic(
        conf_dir + "/10-kata-cri.conflist",
        cni::bridge_conflist("kata-cri", dir_ + "/cni-ipam", cri_bridge_, cri_subnet_)));
    cri = cri_plugin_toml({options_.pause_image, conf_dir});
  }
  KATA_TRY(fs::write_file_atomic(
      dir_ + "/config.toml",
      fmt::format(
          kContainerdConfig, fmt::arg("dir", dir_),
          fmt::arg("cri_disabled", options_.cri ? "" : "\n  \"io.containerd.grpc.v1.cri\","),
          fmt::arg("cri", cri))));
  kata_config_ = dir_ + "/configuration.toml";
  return fs::write_file_atomic(kata_config_, kata_test_config(options_));
}

Result<void> ContainerdEnv::launch() {
  sys::SpawnOptions o;
  o.argv = {"containerd", "--config", dir_ + "/config.toml"};
  std::string path = env_or("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!options_.shim_dir.empty()) path = options_.shim_dir + ":" + path;
  o.env = {{"PATH", path}, {"KATA_CONF_FILE", kata_config_}};
  o.out = sys::Stdio::file(dir_ + "/containerd.log", true);  // a restart appends
  o.err = sys::Stdio::file(dir_ + "/containerd.log", true);
  KATA_ASSIGN_OR_RETURN(sys::Process proc, sys::Process::spawn(o));
  containerd_ = std::make_unique<sys::Process>(std::move(proc));

  sys::Deadline deadline = sys::deadline_after(30s);
  while (!sys::expired(deadline)) {
    if (containerd_->wait_for(std::chrono::milliseconds(0)))
      return Error(Code::kInternal,
                   "containerd exited at start; its log ends with:\n" + log_tail());
    if (fs::exists(address_)) {
      Result<CtrResult> v = ctr({"version"}, 10s);
      if (v && v->exit_code == 0) return {};
    }
    std::this_thread::sleep_for(50ms);
  }
  return Error(Code::kDeadlineExceeded,
               "containerd did not answer within 30 s; its log ends with:\n" + log_tail());
}

Result<void> ContainerdEnv::import_image(const std::string& name, const std::string& pause_binary) {
  std::string tar = dir_ + (pause_binary.empty() ? "/busybox-oci.tar" : "/pause-oci.tar");
  if (pause_binary.empty()) image_tar_ = tar;
  std::vector<std::string> argv = {options_.image_script, tar, name};
  if (!pause_binary.empty()) argv.insert(argv.begin(), {"env", "PAUSE=" + pause_binary});
  KATA_ASSIGN_OR_RETURN(CtrResult made, run_captured(argv, 60s));
  if (made.exit_code != 0)
    return Error(Code::kInternal,
                 fmt::format("{}: {}", fmt_path("run", options_.image_script), made.describe()));
  KATA_ASSIGN_OR_RETURN(CtrResult imported, ctr({"image", "import", tar}, 120s));
  if (imported.exit_code != 0)
    return Error(Code::kInternal, "ctr image import: " + imported.describe());
  return {};
}

ContainerdEnv::~ContainerdEnv() { stop(); }

void ContainerdEnv::stop() {
  if (containerd_ && !containerd_->reaped()) {
    Result<CtrResult> containers = ctr({"container", "list", "-q"}, 30s);
    if (containers && containers->exit_code == 0)
      for (const std::string& id : split(containers->out, '\n')) force_remove(id);
    (void)containerd_->kill(SIGTERM);
    if (!containerd_->wait_for(std::chrono::milliseconds(15000))) {
      (void)containerd_->kill_group(SIGKILL);
      (void)containerd_->wait_for(std::nullopt);
    }
  }
  if (dir_.empty()) return;
  // For a look after the run: KATA_E2E_LOG_DIR keeps each containerd's log (shim logs too).
  if (const char* keep = std::getenv("KATA_E2E_LOG_DIR"); keep && *keep) {
    std::error_code ec;
    std::filesystem::copy_file(
        dir_ + "/containerd.log",
        fmt::format("{}/containerd-{}.log", keep, dir_.substr(dir_.rfind('/') + 1)), ec);
  }
  for (const std::string& m : mounts_below(dir_)) ::umount2(m.c_str(), MNT_DETACH);
  (void)fs::remove_all(dir_);
  // The runc shim keeps its state under /run/containerd/runc/<namespace>; an empty one
  // is ours to remove. Shared parents (/run/containerd/s, fifo) stay.
  ::rmdir(("/run/containerd/runc/" + ns_).c_str());
  // So do runc and the Kata++ shim with the cgroup parent /<namespace> that ctr's specs
  // name (/<namespace>/<id>). k8s.io's is shared by every CRI test binary: it stays.
  if (ns_ != "k8s.io") {
    std::error_code ec;
    for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup", ec))
      ::rmdir((hierarchy.path().string() + "/" + ns_).c_str());
  }
  // The bridge plugin made the pods' bridge in the host's namespace; nothing else deletes it.
  if (!cri_bridge_.empty())
    (void)sys::run_capture({.argv = {"ip", "link", "del", cri_bridge_}}, 10s);
  dir_.clear();
}

std::vector<std::string> ContainerdEnv::ctr_argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ctr", "-a", address_, "-n", ns_};
  argv.insert(argv.end(), args.begin(), args.end());
  // The stdio fifos of `run` and `task exec` go to our dir, not /run/containerd/fifo
  // (ctr leaves them behind for detached tasks).
  size_t verb = args.size() >= 2 && (args[0] == "task" || args[0] == "t") ? 2 : 1;
  bool with_fifos = !args.empty() && (args[0] == "run" || (verb == 2 && args[1] == "exec"));
  if (with_fifos) {
    auto at = argv.begin() + 5 + static_cast<long>(verb);
    argv.insert(at, {"--fifo-dir", dir_ + "/fifo"});
  }
  return argv;
}

Result<CtrResult> ContainerdEnv::ctr(const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout) const {
  return run_captured(ctr_argv(args), timeout);
}

Result<CtrResult> ContainerdEnv::ctr_on_pty(const std::vector<std::string>& args,
                                            std::chrono::milliseconds timeout) const {
  return run_on_pty(ctr_argv(args), timeout);
}

Result<BackgroundProcess> ContainerdEnv::ctr_background(
    const std::vector<std::string>& args) const {
  return BackgroundProcess::spawn(ctr_argv(args));
}

std::vector<std::string> ContainerdEnv::run_args(const std::string& runtime, const std::string& id,
                                                 const std::vector<std::string>& cmd,
                                                 const std::vector<std::string>& flags) const {
  std::vector<std::string> a = {"run", "--rm", "--runtime", runtime};
  a.insert(a.end(), flags.begin(), flags.end());
  a.push_back(options_.image);
  a.push_back(id);
  a.insert(a.end(), cmd.begin(), cmd.end());
  return a;
}

Result<void> ContainerdEnv::restart() {
  KATA_TRY(containerd_->kill(SIGTERM));
  if (!containerd_->wait_for(std::chrono::milliseconds(15000))) {
    (void)containerd_->kill(SIGKILL);
    (void)containerd_->wait_for(std::nullopt);
  }
  return launch().context("restart containerd");
}

bool ContainerdEnv::healthy() const {
  if (!containerd_ || containerd_->reaped()) return false;
  Result<CtrResult> v = ctr({"version"}, 20s);
  return v && v->exit_code == 0 && v->out.find("Server:") != std::string::npos;
}

std::string ContainerdEnv::unique_id(const std::string& prefix) {
  return fmt::format("{}-{}-{}", prefix, ::getpid(), ++next_id_);
}

void ContainerdEnv::force_remove(const std::string& id) const {
  (void)ctr({"task", "kill", "-s", "SIGKILL", id}, 30s);
  (void)ctr({"task", "delete", "-f", id}, 60s);
  (void)ctr({"container", "delete", id}, 30s);
}

std::string ContainerdEnv::remove_and_find_leaks(
    const std::vector<std::string>& ids, const std::set<std::string>& sockets_before) const {
  for (const std::string& id : ids) force_remove(id);
  std::string leaks;
  for (const std::string& id : ids) {
    LeakReport report = wait_for_no_leaks(id, address(), ns(), sockets_before);
    if (!report.clean()) leaks += "sandbox " + id + ":" + report.describe() + "\n";
  }
  return leaks;
}

Result<void> ContainerdEnv::unpack_image_to(const std::string& dir) const {
  KATA_TRY(fs::mkdir_all(dir));
  // The layer is the only blob that is a tar itself: the largest one.
  std::string script =
      "set -e; layer=$(tar -tvf \"$1\" | sort -k3 -n | tail -1 | awk '{print $NF}'); "
      "tar -xOf \"$1\" \"$layer\" | tar -x -C \"$2\"";
  KATA_ASSIGN_OR_RETURN(CtrResult r,
                        run_captured({"sh", "-c", script, "sh", image_tar_, dir}, 60s));
  if (r.exit_code != 0) return Error(Code::kInternal, "unpack the image layer: " + r.describe());
  return {};
}

std::string ContainerdEnv::log_tail(size_t bytes) const {
  Result<std::string> log = fs::read_file(dir_ + "/containerd.log");
  if (!log) return "(no log)";
  return log->size() > bytes ? log->substr(log->size() - bytes) : *log;
}

}  // namespace kata::e2e
