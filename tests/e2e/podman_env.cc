#include "e2e/podman_env.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/leak_check.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

// CAP_SYS_RESOURCE is not in this host's bounding set: podman's default
// ulimits (raised above the hard limit) could not be set. cgroupfs: no systemd.
constexpr const char* kContainersConf = R"(# Written by the e2e harness (tests/e2e/podman_env.cc).
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{dir}/events.log"

[network]
network_config_dir = "{dir}/net"
)";

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// The bridge podman's default network (CNI) makes on first use and never removes.
constexpr const char* kPodmanBridge = "cni-podman0";

// kata-runtime's default --root, where its records are (podman passes no --root).
constexpr const char* kDefaultKataRoot = "/run/kata-runtime";

}  // namespace

const char* runtime_name(OciRuntime runtime) {
  return runtime == OciRuntime::kKata ? "kata" : "runc";
}

PodmanOptions default_podman_options(const std::string& build_dir, const std::string& source_dir) {
  PodmanOptions o;
  o.kata = default_options(build_dir, source_dir);
  o.kata_runtime = env_or("KATA_TEST_KATA_RUNTIME", build_dir + "/src/cli/kata-runtime");
  return o;
}

Result<std::unique_ptr<PodmanEnv>> PodmanEnv::start(const PodmanOptions& options) {
  std::unique_ptr<PodmanEnv> env(new PodmanEnv(options));
  KATA_TRY(env->set_up().context("start podman"));
  return env;
}

Result<void> PodmanEnv::set_up() {
  // Short: kata-runtime's sockets live below it (<root>/<64-hex id>/service.sock).
  char tmpl[] = "/tmp/kpod-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Error::from_errno(errno, "create the podman temp dir");
  dir_ = tmpl;
  kata_root_ = kDefaultKataRoot;
  bridge_was_there_ = fs::exists(std::string("/sys/class/net/") + kPodmanBridge);
  kata_config_ = dir_ + "/configuration.toml";
  KATA_TRY(fs::mkdir_all(dir_ + "/net"));
  KATA_TRY(fs::mkdir_all(dir_ + "/tmp"));
  KATA_TRY(fs::write_file_atomic(dir_ + "/containers.conf",
                                 fmt::format(kContainersConf, fmt::arg("dir", dir_))));
  KATA_TRY(fs::write_file_atomic(kata_config_, kata_test_config(options_.kata)));
  std::string tar = dir_ + "/image.tar";
  KATA_ASSIGN_OR_RETURN(CtrResult made,
                        run_captured({options_.kata.image_script, tar, options_.kata.image}, 60s));
  if (made.exit_code != 0) return Error(Code::kInternal, "make the image: " + made.describe());
  KATA_ASSIGN_OR_RETURN(CtrResult loaded, podman(OciRuntime::kRunc, {"load", "-i", tar}, 120s));
  if (loaded.exit_code != 0) return Error(Code::kInternal, "podman load: " + loaded.describe());
  return {};
}

PodmanEnv::~PodmanEnv() {
  if (dir_.empty()) return;
  // Each container is removed by the runtime it was made with.
  (void)podman(OciRuntime::kRunc, {"rm", "-a", "-f", "-t", "0"}, 120s);
  (void)podman(OciRuntime::kRunc, {"system", "reset", "-f"}, 120s);
  (void)fs::remove_all(dir_);
  // The host as we found it: the bridge goes if our containers made it.
  if (!bridge_was_there_ && fs::exists(std::string("/sys/class/net/") + kPodmanBridge)) {
    (void)run_captured({"ip", "link", "del", kPodmanBridge}, 30s);
  }
}

// podman hands its environment to conmon, conmon to the runtime and to podman's exit
// command: KATA_CONF_FILE reaches every kata-runtime call.
Env PodmanEnv::env() const {
  return {{"CONTAINERS_CONF", dir_ + "/containers.conf"}, {"KATA_CONF_FILE", kata_config_}};
}

std::vector<std::string> PodmanEnv::argv(OciRuntime runtime,
                                         const std::vector<std::string>& args) const {
  std::vector<std::string> v = {"podman",
                                "--root",
                                dir_ + "/storage",
                                "--runroot",
                                dir_ + "/run",
                                "--storage-driver",
                                "vfs",
                                "--tmpdir",
                                dir_ + "/tmp",
                                "--events-backend",
                                "file"};
  // No --runtime-flag: podman leaves them out of the exit command (`podman container
  // cleanup`), whose `delete` would then look in another root. The runtimes keep
  // their default roots, and kata-runtime finds its configuration in the environment.
  v.insert(v.end(), {"--runtime", runtime == OciRuntime::kKata ? options_.kata_runtime : "runc"});
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

std::vector<std::string> PodmanEnv::runtime_argv(OciRuntime runtime,
                                                 const std::vector<std::string>& args) const {
  std::vector<std::string> v;
  if (runtime == OciRuntime::kKata) {
    v = {options_.kata_runtime, "--config", kata_config_};
  } else {
    v = {"runc"};
  }
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

Result<CtrResult> PodmanEnv::podman(OciRuntime runtime, const std::vector<std::string>& args,
                                    std::chrono::milliseconds timeout) const {
  return run_captured(argv(runtime, args), timeout, env());
}

Result<CtrResult> PodmanEnv::podman_on_pty(OciRuntime runtime, const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout) const {
  return run_on_pty(argv(runtime, args), timeout, env());
}

Result<BackgroundProcess> PodmanEnv::podman_background(OciRuntime runtime,
                                                       const std::vector<std::string>& args) const {
  return BackgroundProcess::spawn(argv(runtime, args), env());
}

std::string PodmanEnv::leaks_of(const std::string& id,
                                const std::set<std::string>& sockets_before) const {
  LeakReport report = wait_for_no_leaks(id, "", "", sockets_before);
  std::string leaks = report.clean() ? "" : report.describe();
  if (fs::exists(kata_root_ + "/" + id)) leaks += "\n  record: " + kata_root_ + "/" + id;
  return leaks;
}

}  // namespace kata::e2e
