#include "e2e/docker_env.h"

#include <fmt/format.h>
#include <glob.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDockerClient = "/usr/bin/docker";  // Debian's 20.10, not another on PATH

}  // namespace

const char* DockerEnv::runtime_flag(OciRuntime runtime) {
  return runtime == OciRuntime::kKata ? "kata" : "runc";
}

Result<std::unique_ptr<DockerEnv>> DockerEnv::start(const PodmanOptions& options) {
  std::unique_ptr<DockerEnv> env(new DockerEnv(options));
  KATA_TRY(env->launch().context("start dockerd"));
  KATA_TRY(env->import_image().context("import the test image"));
  return env;
}

Result<void> DockerEnv::launch() {
  char tmpl[] = "/tmp/kdk-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Error::from_errno(errno, "create the docker temp dir");
  dir_ = tmpl;
  socket_ = dir_ + "/d.sock";
  cgroup_parent_ = fmt::format("kata-e2e-docker-{}", ::getpid());
  KATA_TRY(fs::write_file_atomic(dir_ + "/configuration.toml", kata_test_config(options_.kata)));
  sys::SpawnOptions o;
  o.argv = {"dockerd",
            "--data-root",
            dir_ + "/data",
            "--exec-root",
            dir_ + "/exec",
            "--pidfile",
            dir_ + "/dockerd.pid",
            "-H",
            "unix://" + socket_,
            "--bridge",
            "none",
            "--iptables=false",
            "--ip-masq=false",
            "--storage-driver",
            "vfs",
            "--cgroup-parent",
            cgroup_parent_,
            "--add-runtime",
            "kata=" + options_.kata_runtime};
  // dockerd hands its environment to its containerd, containerd to the runc shim, the
  // shim to kata-runtime: the test configuration reaches every call.
  o.env = {{"KATA_CONF_FILE", dir_ + "/configuration.toml"}};
  o.out = sys::Stdio::file(dir_ + "/dockerd.log");
  o.err = sys::Stdio::file(dir_ + "/dockerd.log", true);
  KATA_ASSIGN_OR_RETURN(sys::Process process, sys::Process::spawn(o));
  dockerd_ = std::make_unique<sys::Process>(std::move(process));
  for (int i = 0; i < 300; ++i) {
    Result<CtrResult> info = docker({"version", "--format", "{{.Server.Version}}"}, 10s);
    if (info && info->exit_code == 0) return {};
    if (dockerd_->wait_for(std::chrono::milliseconds(100))) {
      return Error(Code::kUnavailable, "dockerd exited: " + log_tail());
    }
  }
  return Error(Code::kDeadlineExceeded, "dockerd did not answer in 30 s: " + log_tail());
}

// Docker 20.10 loads only its own archive format: the OCI image's one layer
// (its largest blob) is imported as the image instead.
Result<void> DockerEnv::import_image() {
  std::string tar = dir_ + "/image.tar";
  KATA_ASSIGN_OR_RETURN(CtrResult made,
                        run_captured({options_.kata.image_script, tar, options_.kata.image}, 60s));
  if (made.exit_code != 0) return Error(Code::kInternal, "make the image: " + made.describe());
  std::string script = fmt::format(
      "set -e; mkdir -p {0}/oci; tar -C {0}/oci -xf {1}; "
      "{2} -H unix://{3} import \"$(ls -S {0}/oci/blobs/sha256/* | head -1)\" {4}",
      dir_, tar, kDockerClient, socket_, options_.kata.image);
  KATA_ASSIGN_OR_RETURN(CtrResult imported, run_captured({"sh", "-c", script}, 120s));
  if (imported.exit_code != 0) return Error(Code::kInternal, "import: " + imported.describe());
  return {};
}

DockerEnv::~DockerEnv() { stop(); }

void DockerEnv::stop() {
  if (dockerd_) {
    Result<CtrResult> all = docker({"ps", "-aq"}, 30s);
    if (all && !all->out.empty()) {
      std::vector<std::string> rm = {"rm", "-f"};
      for (const std::string& id : split(all->out, '\n')) {
        if (!id.empty()) rm.push_back(id);
      }
      (void)docker(rm, 120s);
    }
    (void)dockerd_->kill(SIGTERM);
    if (!dockerd_->wait_for(15s)) {
      (void)dockerd_->kill_group(SIGKILL);
      (void)dockerd_->wait_for(std::nullopt);
    }
    dockerd_.reset();
  }
  // The cgroup parent dockerd made in each hierarchy, once empty.
  glob_t found{};
  std::string pattern = "/sys/fs/cgroup/*/" + cgroup_parent_;
  if (::glob(pattern.c_str(), 0, nullptr, &found) == 0) {
    for (size_t i = 0; i < found.gl_pathc; ++i) ::rmdir(found.gl_pathv[i]);
  }
  ::globfree(&found);
  if (!dir_.empty()) {
    ::umount2((dir_ + "/exec").c_str(), MNT_DETACH);  // dockerd's netns bind mounts live here
    (void)fs::remove_all(dir_);
  }
}

std::vector<std::string> DockerEnv::argv(const std::vector<std::string>& args) const {
  std::vector<std::string> v = {kDockerClient, "-H", "unix://" + socket_};
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

Result<CtrResult> DockerEnv::docker(const std::vector<std::string>& args,
                                    std::chrono::milliseconds timeout) const {
  return run_captured(argv(args), timeout);
}

Result<CtrResult> DockerEnv::docker_on_pty(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout) const {
  return run_on_pty(argv(args), timeout);
}

std::string DockerEnv::log_tail(size_t bytes) const {
  Result<std::string> log = fs::read_file(dir_ + "/dockerd.log");
  if (!log) return "";
  return log->size() > bytes ? log->substr(log->size() - bytes) : *log;
}

}  // namespace kata::e2e
