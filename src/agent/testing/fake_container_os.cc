#include "agent/testing/fake_container_os.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "agent/container/wire.h"
#include "common/strings.h"
#include "sys/subprocess.h"

extern char** environ;

namespace kata::agent::testing {

using sys::signal_pidfd;

namespace {

using container::ChildStdio;
using container::InitConfig;
using container::InitMode;
using container::Launched;

// What a new cgroup directory holds, as under cgroup v2 with every
// controller the agent enables.
constexpr std::pair<const char*, const char*> kInterfaceFiles[] = {
    {"cgroup.procs", ""},
    {"cgroup.subtree_control", ""},
    {"cgroup.freeze", "0"},
    {"cgroup.kill", ""},
    {"cpu.max", "max 100000"},
    {"cpu.weight", "100"},
    {"cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"},
    {"cpuset.cpus", ""},
    {"cpuset.mems", ""},
    {"io.max", ""},
    {"memory.current", "0"},
    {"memory.low", "0"},
    {"memory.max", "max"},
    {"memory.swap.max", "max"},
    {"memory.stat", "anon 0\nfile 0\n"},
    {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"},
    {"pids.current", "0"},
    {"pids.max", "max"},
};

std::string parent_of(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

bool alive(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;  // a pidfd turns readable when its process exits
}

// The workload: a real process that lives until it is killed.
Result<pid_t> spawn_sleep(const ChildStdio& stdio) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const int fds[3] = {stdio.in, stdio.out, stdio.err};
  for (int target = 0; target < 3; ++target) {
    if (fds[target] >= 0) {
      posix_spawn_file_actions_adddup2(&actions, fds[target], target);
    } else {
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0);
    }
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);  // the reaper's thread blocks SIGCHLD
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  const char* argv[] = {"sleep", "3600", nullptr};
  pid_t pid = 0;
  int err = ::posix_spawn(&pid, "/bin/sleep", &actions, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return Error::from_errno(err, "spawn fake container workload");
  return pid;
}

}  // namespace

FakeContainerOs::FakeContainerOs(std::string cgroup_root) {
  dirs_.insert(cgroup_root);
  files_[cgroup_root + "/cgroup.procs"] = "";
  files_[cgroup_root + "/cgroup.subtree_control"] = "";
}

FakeContainerOs::~FakeContainerOs() {
  std::vector<std::thread> inits;
  {
    std::lock_guard lock(mu_);
    inits.swap(inits_);
    for (auto& [pid, pidfd] : workloads_) (void)signal_pidfd(pidfd.get(), SIGKILL);
  }
  for (std::thread& t : inits) t.join();
}

std::string FakeContainerOs::value(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? "" : it->second;
}

bool FakeContainerOs::has_dir(const std::string& path) const {
  std::lock_guard lock(mu_);
  return dirs_.count(path) > 0;
}

size_t FakeContainerOs::device_filters_attached(const std::string& dir) const {
  std::lock_guard lock(mu_);
  auto it = filters_.find(dir);
  return it == filters_.end() ? 0 : it->second;
}

size_t FakeContainerOs::inits_launched() const {
  std::lock_guard lock(mu_);
  return inits_.size();
}

std::vector<FakeContainerOs::Launch> FakeContainerOs::launches() const {
  std::lock_guard lock(mu_);
  return launches_;
}

std::map<std::string, std::string> FakeContainerOs::shared_namespaces() const {
  std::lock_guard lock(mu_);
  return shared_ns_;
}

Result<std::map<std::string, std::string>> FakeContainerOs::make_shared_namespaces(
    const std::string& dir, const std::string& hostname) {
  std::lock_guard lock(mu_);
  if (shared_namespaces_error) return *shared_namespaces_error;
  shared_ns_[dir] = hostname;
  return std::map<std::string, std::string>{{"ipc", dir + "/ipc"}, {"uts", dir + "/uts"}};
}

Result<void> FakeContainerOs::remove_shared_namespaces(const std::string& dir) {
  std::lock_guard lock(mu_);
  shared_ns_.erase(dir);
  return {};
}

std::vector<pid_t> FakeContainerOs::pid_namespaces_opened() const {
  std::lock_guard lock(mu_);
  return pid_ns_opened_;
}

Result<UniqueFd> FakeContainerOs::open_pid_namespace(pid_t pid) {
  {
    std::lock_guard lock(mu_);
    pid_ns_opened_.push_back(pid);
  }
  std::string path = "/proc/" + std::to_string(pid) + "/ns/pid";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  return fd;
}

Result<void> FakeContainerOs::make_dir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (!dirs_.count(parent_of(path))) return Error::from_errno(ENOENT, fmt_path("mkdir", path));
  if (dirs_.count(path) || files_.count(path))
    return Error::from_errno(EEXIST, fmt_path("mkdir", path));
  dirs_.insert(path);
  for (const auto& [name, initial] : kInterfaceFiles) files_[path + "/" + name] = initial;
  return {};
}

Result<void> FakeContainerOs::remove_dir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (!dirs_.count(path)) return {};
  auto child = dirs_.upper_bound(path + "/");
  bool has_children = child != dirs_.end() && starts_with(*child, path + "/");
  if (has_children || !live_members_locked(path).empty())
    return Error::from_errno(EBUSY, fmt_path("rmdir", path));
  dirs_.erase(path);
  for (auto it = files_.lower_bound(path + "/");
       it != files_.end() && starts_with(it->first, path + "/");)
    it = files_.erase(it);
  members_.erase(path);
  filters_.erase(path);
  return {};
}

Result<void> FakeContainerOs::write_file(const std::string& path, std::string_view value) {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return Error::from_errno(ENOENT, fmt_path("open", path));
  std::string dir = parent_of(path);
  if (path == dir + "/cgroup.kill" && value == "1") {
    kill_members_locked(dir);
    return {};
  }
  it->second = std::string(value);
  return {};
}

Result<std::string> FakeContainerOs::read_file(const std::string& path) {
  std::lock_guard lock(mu_);
  std::string dir = parent_of(path);
  if (path == dir + "/cgroup.procs" && dirs_.count(dir)) {
    std::string out;
    for (pid_t pid : live_members_locked(dir)) out += std::to_string(pid) + "\n";
    return out;
  }
  auto it = files_.find(path);
  if (it == files_.end()) return Error::from_errno(ENOENT, fmt_path("open", path));
  return it->second;
}

bool FakeContainerOs::exists(const std::string& path) {
  std::lock_guard lock(mu_);
  return dirs_.count(path) || files_.count(path);
}

Result<void> FakeContainerOs::attach_device_filter(const std::string& cgroup_dir,
                                                   const std::vector<bpf_insn>& program) {
  std::lock_guard lock(mu_);
  if (!dirs_.count(cgroup_dir)) return Error::from_errno(ENOENT, fmt_path("open", cgroup_dir));
  if (program.empty()) return Error::from_errno(EINVAL, "load device filter: empty program");
  filters_[cgroup_dir] = 1;  // the new program replaces the old ones
  return {};
}

std::vector<pid_t> FakeContainerOs::live_members_locked(const std::string& dir) {
  std::vector<pid_t> out;
  auto it = members_.find(dir);
  if (it == members_.end()) return out;
  std::erase_if(it->second, [](const Member& m) { return !alive(m.pidfd.get()); });
  for (const Member& m : it->second) out.push_back(m.pid);
  return out;
}

void FakeContainerOs::kill_members_locked(const std::string& dir) {
  auto it = members_.find(dir);
  if (it == members_.end()) return;
  for (const Member& m : it->second) (void)signal_pidfd(m.pidfd.get(), SIGKILL);
}

Result<Launched> FakeContainerOs::launch_init(Reaper& reaper,
                                              const container::ChildNamespaces& namespaces,
                                              const ChildStdio& stdio, const InitConfig& config,
                                              Reaper::ExitCallback on_exit) {
  Launch launch{config.spec.id, 0, namespaces.clone_flags, 0, config.join_namespaces};
  struct stat st {};
  if (namespaces.pid_ns_fd >= 0) {
    if (::fstat(namespaces.pid_ns_fd, &st) != 0) return Error::from_errno(errno, "fstat pid ns");
    launch.pid_ns_inode = st.st_ino;
  }
  size_t index = 0;
  {
    std::lock_guard lock(mu_);
    index = launches_.size();
    launches_.push_back(launch);
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return Error::from_errno(errno, "socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  KATA_ASSIGN_OR_RETURN(pid_t pid,
                        reaper.spawn([&stdio] { return spawn_sleep(stdio); }, std::move(on_exit)));
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    ::kill(pid, SIGKILL);  // not reaped yet: the pid is still ours
    return Error::from_errno(errno, "pidfd_open");
  }
  {
    std::lock_guard lock(mu_);
    launches_[index].pid = pid;
    workloads_[pid] = std::move(pidfd);
    // Before the config is written: a large one fills the socket until read.
    inits_.emplace_back(&FakeContainerOs::serve_init, this, std::move(theirs), pid);
  }
  Result<void> sent = container::write_frame(ours.get(), container::encode_config(config));
  if (!sent) {
    ::kill(pid, SIGKILL);
    return std::move(sent).error().context("send config to container init");
  }
  return Launched{pid, std::move(ours)};
}

// The init's side of the protocol. Any failure ends the "init", which is the
// workload process itself here.
void FakeContainerOs::serve_init(UniqueFd socket, pid_t pid) {
  auto exit_init = [&] {
    std::lock_guard lock(mu_);
    (void)signal_pidfd(workloads_.at(pid).get(), SIGKILL);
  };
  auto fail = [&](const Error& e) {
    (void)container::write_frame(socket.get(), container::encode_error(e));
    exit_init();
  };
  Result<std::string> payload = container::read_frame(socket.get());
  if (!payload) return exit_init();
  Result<InitConfig> config = container::decode_config(*payload);
  if (!config) return fail(config.error());
  if (init_error) return fail(*init_error);
  if (!config->cgroup_dir.empty()) {
    std::lock_guard lock(mu_);
    if (!dirs_.count(config->cgroup_dir)) {
      (void)container::write_frame(socket.get(),
                                   container::encode_error(Error::from_errno(
                                       ENOENT, fmt_path("join cgroup", config->cgroup_dir))));
      (void)signal_pidfd(workloads_.at(pid).get(), SIGKILL);
      return;
    }
    members_[config->cgroup_dir].push_back(
        Member{pid, UniqueFd(::fcntl(workloads_.at(pid).get(), F_DUPFD_CLOEXEC, 0))});
  }
  if (config->spec.process.terminal) {
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) return fail(Error::from_errno(errno, "open pty"));
    if (!container::write_frame(socket.get(), container::encode_console(), master.get()))
      return exit_init();
  }
  if (config->mode == InitMode::kExec) {
    (void)container::write_frame(socket.get(), container::encode_pid(pid));
    return;  // the socket closes as the exec happens
  }
  if (!container::write_frame(socket.get(), container::encode_ready())) return exit_init();
  Result<std::string> start = container::read_frame(socket.get());
  if (!start || *start != std::string(1, container::kStartByte)) exit_init();
}

}  // namespace kata::agent::testing
