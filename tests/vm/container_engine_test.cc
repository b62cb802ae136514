// Runs containers in a real guest through the agent's container RPCs. There
// is no virtio-fs yet, so the container rootfs travels in the initrd: the
// guest image followed by a second cpio archive with /testroot (busybox and
// an /etc/passwd with a user 1000); the kernel unpacks both.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "runtime/guest_vm.h"
#include "vm/vm_test_util.h"

namespace kata::runtime {
namespace {

using vm_test::guest_dir;

// Builds <dir>/testroot.cpio: /testroot with busybox and its applet links.
Result<std::string> make_testroot_cpio(const std::string& dir) {
  std::string stage = dir + "/stage", root = stage + "/testroot";
  for (const char* d : {"bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/user"}) {
    KATA_TRY(fs::mkdir_all(root + "/" + d));
  }
  ::chmod((root + "/tmp").c_str(), 01777);
  std::error_code ec;
  std::filesystem::copy_file("/bin/busybox", root + "/bin/busybox", ec);
  if (ec)
    return Error(Code::kFailedPrecondition,
                 "copy /bin/busybox (install busybox-static): " + ec.message());
  for (const char* applet :
       {"sh",   "echo",     "cat",  "id",    "sleep", "ls",    "true",     "false",
        "stty", "hostname", "grep", "test",  "pwd",   "mkdir", "head",     "tr",
        "find", "tty",      "ip",   "mknod", "ps",    "touch", "readlink", "mount"}) {
    std::filesystem::create_symlink("busybox", root + "/bin/" + applet, ec);
  }
  std::ofstream(root + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                         "user:x:1000:1000:user:/home/user:/bin/sh\n";
  std::ofstream(root + "/etc/group") << "root:x:0:\nuser:x:1000:\n";
  // Mount destinations that try to leave the rootfs.
  std::filesystem::create_symlink("/etc/kata", root + "/escape", ec);
  std::filesystem::create_symlink("../../../../tmp-escape", root + "/up", ec);
  std::string out = dir + "/testroot.cpio";
  std::string cmd = "cd '" + stage + "' && find testroot | cpio --quiet -o -H newc > '" + out + "'";
  if (std::system(cmd.c_str()) != 0) return Error(Code::kInternal, "cpio failed: " + cmd);
  return out;
}

class ContainerEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(guest_dir() + "/kata-initrd.img"))
        << "no guest image in " << guest_dir();
    char tmpl[] = "/tmp/kata-ctrtest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    run_root_ = tmpl;
    auto extra = make_testroot_cpio(run_root_);
    ASSERT_TRUE(extra) << extra.error().message();
    std::string initrd = run_root_ + "/initrd.img";
    std::string cat =
        "cat '" + guest_dir() + "/kata-initrd.img' '" + *extra + "' > '" + initrd + "'";
    ASSERT_EQ(std::system(cat.c_str()), 0);
    config_ = vm_test::tcg_guest_config();
    config_.hypervisor.machine_type = machine_type_;
    config_.hypervisor.initrd = initrd;
    options_.id = "ctrtest-" + std::to_string(::getpid());
    options_.run_root = run_root_ + "/run";
    auto guest = GuestVm::boot(config_, options_);
    ASSERT_TRUE(guest) << guest.error().message();
    guest_ = std::move(*guest);
    agent_client::SandboxSpec spec{options_.id, sandbox_hostname_, {}};
    Result<void> created = agent().create_sandbox(spec);
    ASSERT_TRUE(created) << created.error().message();
  }

  void TearDown() override {
    if (guest_) {
      Result<void> down = guest_->shutdown(std::chrono::seconds(60));
      EXPECT_TRUE(down) << down.error().message();
      guest_.reset();
    }
    vm_test::expect_nothing_left(options_.run_root, options_.id);
    (void)fs::remove_all(run_root_);
  }

  agent_client::Agent& agent() { return guest_->agent(); }

  static grpc::CreateContainerRequest request(const std::string& id,
                                              std::vector<std::string> args) {
    grpc::CreateContainerRequest req;
    req.set_container_id(id);
    grpc::Spec* spec = req.mutable_oci();
    spec->mutable_root()->set_path("/testroot");
    spec->set_hostname(id);
    grpc::Process* p = spec->mutable_process();
    for (auto& a : args) p->add_args(a);
    p->add_env("PATH=/bin");
    p->set_cwd("/");
    auto mount = [spec](const char* dest, const char* type, std::vector<std::string> opts) {
      grpc::Mount* m = spec->add_mounts();
      m->set_destination(dest);
      m->set_type(type);
      m->set_source(type);
      for (auto& o : opts) m->add_options(o);
    };
    mount("/proc", "proc", {"nosuid", "noexec", "nodev"});
    mount("/dev", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"});
    mount("/dev/pts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"});
    mount("/dev/shm", "tmpfs", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"});
    mount("/dev/mqueue", "mqueue", {"nosuid", "noexec", "nodev"});
    mount("/sys", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
    mount("/sys/fs/cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"});
    grpc::Linux* linux = spec->mutable_linux();
    for (const char* ns : {"pid", "mount", "ipc", "uts"}) linux->add_namespaces()->set_type(ns);
    linux->add_maskedpaths("/proc/kcore");
    linux->add_readonlypaths("/proc/sys");
    return req;
  }

  Result<std::string> read_all(const std::string& id, const std::string& exec_id = "") {
    std::string out;
    for (;;) {
      KATA_ASSIGN_OR_RETURN(std::string chunk, agent().read_stdout(id, exec_id, 32768));
      if (chunk.empty()) return out;
      out += chunk;
    }
  }

  // Create, start, collect stdout to EOF, wait, remove: (exit code, output).
  std::pair<int, std::string> run(const grpc::CreateContainerRequest& req) {
    const std::string& id = req.container_id();
    Result<void> created = agent().create_container(req);
    EXPECT_TRUE(created) << created.error().message();
    if (!created) return {-1, ""};
    Result<void> started = agent().start_container(id);
    EXPECT_TRUE(started) << started.error().message();
    Result<std::string> out = read_all(id);
    EXPECT_TRUE(out) << out.error().message();
    Result<int32_t> status = agent().wait_process(id, "");
    EXPECT_TRUE(status) << status.error().message();
    Result<void> removed = agent().remove_container(id, 10);
    EXPECT_TRUE(removed) << removed.error().message();
    return {status ? *status : -1, out ? *out : ""};
  }

  // The scenarios of RunsContainersAndLeavesNothing, in the order it runs them.
  void echo_prints_stdout() {
    SCOPED_TRACE("echo");
    auto [status, out] = run(request("echo", {"echo", "hello"}));
    EXPECT_EQ(status, 0);
    EXPECT_EQ(out, "hello\n");
  }

  void large_output_is_read_while_waiting() {
    SCOPED_TRACE("large stdout and stderr, read while waiting");
    auto req =
        request("big", {"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo oops >&2"});
    ASSERT_TRUE(agent().create_container(req));
    ASSERT_TRUE(agent().start_container("big"));
    Result<std::string> out = Error(Code::kUnknown, "not read");
    std::string err;
    std::thread reader([&] { out = read_all("big"); });
    std::thread err_reader([&] {
      for (;;) {
        Result<std::string> chunk = agent().read_stderr("big", "", 1024);
        if (!chunk || chunk->empty()) return;
        err += *chunk;
      }
    });
    Result<int32_t> status = agent().wait_process("big", "");
    reader.join();
    err_reader.join();
    ASSERT_TRUE(status) << status.error().message();
    EXPECT_EQ(*status, 0);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(out->size(), 1000000u);
    EXPECT_EQ(out->find_first_not_of('x'), std::string::npos);
    EXPECT_EQ(err, "oops\n");
    ASSERT_TRUE(agent().remove_container("big", 10));
  }

  void exit_code_is_reported() {
    SCOPED_TRACE("exit code");
    EXPECT_EQ(run(request("exit3", {"sh", "-c", "exit 3"})).first, 3);
  }

  void stdin_reaches_cat() {
    SCOPED_TRACE("stdin");
    auto req = request("cat", {"cat"});
    ASSERT_TRUE(agent().create_container(req));
    ASSERT_TRUE(agent().start_container("cat"));
    Result<uint32_t> n = agent().write_stdin("cat", "", "ping\n");
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_EQ(*n, 5u);
    ASSERT_TRUE(agent().close_stdin("cat", ""));
    auto out = read_all("cat");
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(*out, "ping\n");
    EXPECT_EQ(*agent().wait_process("cat", ""), 0);
    ASSERT_TRUE(agent().remove_container("cat", 10));
  }

  void terminal_comes_from_the_containers_devpts() {
    SCOPED_TRACE("terminal");
    // The pty comes from the container's own devpts, as with runc: `ctr run
    // -t ... tty` expects /dev/pts/0.
    auto req = request("tty", {"sh", "-c", "test -t 0 && echo isatty; tty; stty size"});
    req.mutable_oci()->mutable_process()->set_terminal(true);
    req.mutable_oci()->mutable_process()->mutable_consolesize()->set_height(30);
    req.mutable_oci()->mutable_process()->mutable_consolesize()->set_width(100);
    auto [status, out] = run(req);
    EXPECT_EQ(status, 0);
    // The terminal turns "\n" into "\r\n".
    EXPECT_EQ(out, "isatty\r\n/dev/pts/0\r\n30 100\r\n");
  }

  void terminal_resize_reaches_the_process() {
    SCOPED_TRACE("terminal resize");
    auto req = request("resize", {"sh", "-c", "read x; stty size"});
    req.mutable_oci()->mutable_process()->set_terminal(true);
    ASSERT_TRUE(agent().create_container(req));
    ASSERT_TRUE(agent().start_container("resize"));
    ASSERT_TRUE(agent().tty_win_resize("resize", "", 50, 120));
    ASSERT_TRUE(agent().write_stdin("resize", "", "go\n"));
    auto out = read_all("resize");
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_NE(out->find("50 120"), std::string::npos) << *out;
    EXPECT_EQ(*agent().wait_process("resize", ""), 0);
    ASSERT_TRUE(agent().remove_container("resize", 10));
  }

  void process_limits_apply() {
    SCOPED_TRACE("capabilities, no_new_privileges, rlimits, oom_score_adj, sysctls");
    auto req = request(
        "limits", {"sh", "-c",
                   "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; "
                   "cat /proc/self/oom_score_adj; ulimit -n; cat /proc/sys/kernel/msgmax; umask; "
                   "cat /proc/sys/kernel/domainname /sys/fs/cgroup/pids.max"});
    grpc::Process* p = req.mutable_oci()->mutable_process();
    for (auto* set : {p->mutable_capabilities()->mutable_bounding(),
                      p->mutable_capabilities()->mutable_effective(),
                      p->mutable_capabilities()->mutable_permitted()}) {
      set->Add("CAP_CHOWN");
      set->Add("CAP_KILL");
    }
    p->set_nonewprivileges(true);
    p->set_oomscoreadj(500);
    grpc::POSIXRlimit* rl = p->add_rlimits();
    rl->set_type("RLIMIT_NOFILE");
    rl->set_hard(1234);
    rl->set_soft(1234);
    (*req.mutable_oci()->mutable_linux()->mutable_sysctl())["kernel.msgmax"] = "4096";
    p->mutable_user()->set_umask(027);
    req.mutable_oci()->set_domainname("example.org");
    (*req.mutable_oci()->mutable_linux()->mutable_resources()->mutable_unified())["pids.max"] = "9";
    auto [status, out] = run(req);
    EXPECT_EQ(status, 0);
    EXPECT_EQ(out,
              "CapEff:\t0000000000000021\nCapBnd:\t0000000000000021\nNoNewPrivs:"
              "\t1\n500\n1234\n4096\n0027\nexample.org\n9\n");
  }

  void seccomp_filter_applies() {
    SCOPED_TRACE("seccomp");
    auto req = request("seccomp", {"sh", "-c", "mkdir /tmp/d 2>&1; echo rc=$?"});
    grpc::LinuxSeccomp* sc = req.mutable_oci()->mutable_linux()->mutable_seccomp();
    sc->set_defaultaction("SCMP_ACT_ALLOW");
    sc->add_architectures("SCMP_ARCH_X86_64");
    grpc::LinuxSyscall* rule = sc->add_syscalls();
    rule->add_names("mkdir");
    rule->add_names("mkdirat");
    rule->set_action("SCMP_ACT_ERRNO");
    rule->set_errnoret(1);  // EPERM
    auto [status, out] = run(req);
    EXPECT_EQ(status, 0);
    EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
    EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  }

  void oom_kill_is_reported() {
    SCOPED_TRACE("oom event");
    auto req = request(
        "oom", {"sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived"});
    req.mutable_oci()->mutable_linux()->mutable_resources()->mutable_memory()->set_limit(16 << 20);
    ASSERT_TRUE(agent().create_container(req));
    ASSERT_TRUE(agent().start_container("oom"));
    Result<std::string> oom = agent().get_oom_event();
    ASSERT_TRUE(oom) << oom.error().message();
    EXPECT_EQ(*oom, "oom");
    EXPECT_EQ(*agent().wait_process("oom", ""), 137);
    ASSERT_TRUE(agent().remove_container("oom", 10));
  }

  void env_cwd_and_user_apply() {
    SCOPED_TRACE("env, cwd, user");
    auto req = request("ident", {"sh", "-c", "id; pwd; echo $FOO; echo $HOME"});
    grpc::Process* p = req.mutable_oci()->mutable_process();
    p->add_env("FOO=bar");
    p->set_cwd("/tmp");
    p->mutable_user()->set_uid(1000);
    p->mutable_user()->set_gid(1000);
    auto [status, out] = run(req);
    EXPECT_EQ(status, 0);
    // No additional gids were asked for, so none are set (busybox then omits groups=).
    EXPECT_EQ(out, "uid=1000(user) gid=1000(user)\n/tmp\nbar\n/home/user\n");

    // The same user by name, resolved in the container's /etc/passwd and /etc/group.
    auto named = request("named", {"id"});
    named.mutable_string_user()->set_uid("user");
    named.mutable_string_user()->add_additionalgids("root");
    auto [named_status, named_out] = run(named);
    EXPECT_EQ(named_status, 0);
    EXPECT_EQ(named_out, "uid=1000(user) gid=1000(user) groups=0(root)\n");
  }

  void exec_runs_in_the_running_container() {
    SCOPED_TRACE("exec and tty exec in a running container");
    auto req = request("sleeper", {"sleep", "1000"});
    req.mutable_oci()->set_hostname("ctr-host");
    req.mutable_oci()->mutable_linux()->set_cgroupspath("/kubepods/pod1/sleeper");
    grpc::LinuxResources* res = req.mutable_oci()->mutable_linux()->mutable_resources();
    res->mutable_memory()->set_limit(64 << 20);
    res->mutable_pids()->set_limit(32);
    ASSERT_TRUE(agent().create_container(req));
    ASSERT_TRUE(agent().start_container("sleeper"));
    grpc::ExecProcessRequest exec;
    exec.set_container_id("sleeper");
    exec.set_exec_id("e1");
    exec.mutable_process()->add_args("sh");
    exec.mutable_process()->add_args("-c");
    exec.mutable_process()->add_args(
        "echo from-exec; hostname; ls /proc | grep -c '^[0-9]'; cat /proc/self/cgroup");
    exec.mutable_process()->add_env("PATH=/bin");
    exec.mutable_process()->set_cwd("/");
    Result<void> execd = agent().exec_process(exec);
    ASSERT_TRUE(execd) << execd.error().message();
    auto out = read_all("sleeper", "e1");
    ASSERT_TRUE(out) << out.error().message();
    // sleep (pid 1), sh, ls and grep: the exec shares the container's pid namespace.
    EXPECT_EQ(*out, "from-exec\nctr-host\n4\n0::/kubepods/pod1/sleeper\n");
    EXPECT_EQ(*agent().wait_process("sleeper", "e1"), 0);

    grpc::ExecProcessRequest tty_exec = exec;
    tty_exec.set_exec_id("e-tty");
    tty_exec.mutable_process()->set_args(2, "tty; stty size; ls -n $(tty)");
    tty_exec.mutable_process()->mutable_user()->set_uid(1000);
    tty_exec.mutable_process()->mutable_user()->set_gid(1000);
    tty_exec.mutable_process()->set_terminal(true);
    tty_exec.mutable_process()->mutable_consolesize()->set_height(40);
    tty_exec.mutable_process()->mutable_consolesize()->set_width(90);
    execd = agent().exec_process(tty_exec);
    ASSERT_TRUE(execd) << execd.error().message();
    out = read_all("sleeper", "e-tty");
    ASSERT_TRUE(out) << out.error().message();
    // The first pty of the container's devpts (the sleeper has none), owned
    // by the exec's user.
    EXPECT_EQ(out->rfind("/dev/pts/0\r\n40 90\r\ncrw--w----    1 1000 ", 0), 0u) << *out;
    EXPECT_EQ(*agent().wait_process("sleeper", "e-tty"), 0);

    grpc::ExecProcessRequest bad = exec;
    bad.set_exec_id("e2");
    bad.mutable_process()->clear_args();
    bad.mutable_process()->add_args("no-such-tool");
    Result<void> failed = agent().exec_process(bad);
    ASSERT_FALSE(failed);
    EXPECT_NE(
        failed.error().message().find("exec: \"no-such-tool\": executable file not found in $PATH"),
        std::string::npos)
        << failed.error().message();
    EXPECT_EQ(agent().wait_process("sleeper", "e2").error().code(), Code::kNotFound);
  }

  // On the sleeper that exec_runs_in_the_running_container started.
  void running_container_stats_update_pause_and_kill() {
    SCOPED_TRACE("stats, update, pause, SIGKILL");
    auto stats = agent().stats_container("sleeper");
    ASSERT_TRUE(stats) << stats.error().message();
    EXPECT_EQ(stats->cgroup_stats().memory_stats().usage().limit(), uint64_t{64} << 20);
    EXPECT_EQ(stats->cgroup_stats().pids_stats().limit(), 32u);
    EXPECT_GE(stats->cgroup_stats().pids_stats().current(), 1u);
    grpc::UpdateContainerRequest update;
    update.set_container_id("sleeper");
    update.mutable_resources()->mutable_pids()->set_limit(64);
    ASSERT_TRUE(agent().update_container(update));
    EXPECT_EQ(agent().stats_container("sleeper")->cgroup_stats().pids_stats().limit(), 64u);
    EXPECT_TRUE(agent().pause_container("sleeper"));
    EXPECT_TRUE(agent().resume_container("sleeper"));

    ASSERT_TRUE(agent().signal_process("sleeper", "", SIGKILL));
    EXPECT_EQ(*agent().wait_process("sleeper", ""), 137);
    ASSERT_TRUE(agent().remove_container("sleeper", 10));
    auto gone = agent().wait_process("sleeper", "");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), Code::kNotFound);
  }

  void missing_command_fails_create() {
    SCOPED_TRACE("missing command");
    Result<void> created = agent().create_container(request("nocmd", {"no-such-command"}));
    ASSERT_FALSE(created);
    EXPECT_NE(created.error().message().find(
                  "exec: \"no-such-command\": executable file not found in $PATH"),
              std::string::npos)
        << created.error().message();
    EXPECT_TRUE(agent().check()) << "the agent must survive a failed create";
    // The id is free again.
    EXPECT_EQ(run(request("nocmd", {"true"})).first, 0);
  }

  void symlinked_mount_destinations_stay_inside() {
    SCOPED_TRACE("symlinked mount destinations stay in the rootfs");
    auto req = request("escape", {"sh", "-c",
                                  "grep -q ' /etc/kata ' /proc/self/mountinfo && "
                                  "grep -q ' /tmp-escape ' /proc/self/mountinfo && echo inside"});
    for (const char* dest : {"/escape", "/up"}) {
      grpc::Mount* m = req.mutable_oci()->add_mounts();
      m->set_destination(dest);
      m->set_type("tmpfs");
      m->set_source("tmpfs");
    }
    auto [status, out] = run(req);
    EXPECT_EQ(status, 0);
    EXPECT_EQ(out, "inside\n");
  }

  void read_only_root_refuses_writes() {
    SCOPED_TRACE("read-only root");
    auto req = request("ro", {"sh", "-c", "mkdir /new 2>&1; echo rc=$?"});
    req.mutable_oci()->mutable_root()->set_readonly(true);
    auto [status, out] = run(req);
    EXPECT_EQ(status, 0);
    EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
  }

  // The hostile case of issue 10: CAP_MKNOD makes the guest's serial console
  // (c 4:64, whose output lands in the host's console.log). The device
  // cgroup lets any node be made (as runc does) but not opened, except the
  // default devices; an allow rule opens the one device it names (tun, 10:200).
  void device_cgroup_confines_device_nodes() {
    SCOPED_TRACE("device cgroup");
    auto with_rules = [this](const char* id, std::vector<grpc::LinuxDeviceCgroup> extra) {
      auto req = request(id, {"sh", "-c", R"(
        mknod /dev/s0 c 4 64 && echo made
        (echo x > /dev/s0) 2>&1 | grep -o 'not permitted'
        mknod /dev/t0 c 10 200
        (: < /dev/t0 && echo tun-opened) 2>&1 | grep -oE 'tun-opened|not permitted'
        mknod /dev/n0 c 1 3 && echo ok > /dev/n0 && echo ok > /dev/null && echo null)"});
      grpc::LinuxCapabilities* caps = req.mutable_oci()->mutable_process()->mutable_capabilities();
      for (auto* set :
           {caps->mutable_bounding(), caps->mutable_effective(), caps->mutable_permitted()})
        set->Add("CAP_MKNOD");
      grpc::LinuxResources* res = req.mutable_oci()->mutable_linux()->mutable_resources();
      grpc::LinuxDeviceCgroup* deny = res->add_devices();  // containerd's default
      deny->set_allow(false);
      deny->set_major(-1);
      deny->set_minor(-1);
      deny->set_access("rwm");
      for (auto& d : extra) *res->add_devices() = d;
      return run(req);
    };
    auto [status, out] = with_rules("devdeny", {});
    EXPECT_EQ(status, 0);
    EXPECT_EQ(out, "made\nnot permitted\nnot permitted\nnull\n");

    grpc::LinuxDeviceCgroup tun;
    tun.set_allow(true);
    tun.set_type("c");
    tun.set_major(10);
    tun.set_minor(200);
    tun.set_access("rw");
    auto [allow_status, allow_out] = with_rules("devallow", {tun});
    EXPECT_EQ(allow_status, 0);
    EXPECT_EQ(allow_out, "made\nnot permitted\ntun-opened\nnull\n");
  }

  void cgroup_namespace_is_rooted_at_the_container() {
    SCOPED_TRACE("cgroup namespace");
    auto req = request("cgns", {"cat", "/proc/self/cgroup"});
    req.mutable_oci()->mutable_linux()->add_namespaces()->set_type("cgroup");
    EXPECT_EQ(run(req).second, "0::/\n");
  }

  // A container without a cgroup namespace sees its own cgroup at /sys/fs/cgroup; a
  // fresh cgroup2 mount of its own shows the guest's whole tree.
  static constexpr const char* kWholeTree =
      "mkdir -p /tmp/cg && mount -t cgroup2 none /tmp/cg && cd /tmp/cg && ";

  void no_cgroup_of_a_removed_container_is_left() {
    SCOPED_TRACE("no cgroup of a removed container is left in the guest");
    auto [status, out] = run(
        request("leakcheck",
                {"sh", "-c", std::string(kWholeTree) + "find kata kubepods -mindepth 1 -type d"}));
    EXPECT_EQ(status, 0);
    EXPECT_EQ(out, "kata/leakcheck\n");
    // The containers under one top-level cgroup cannot take the guest's last
    // tasks: the agent keeps some to serve kill and delete.
    auto [st, limits] = run(request(
        "tasklimit",
        {"sh", "-c", std::string(kWholeTree) + "cat kata/pids.max /proc/sys/kernel/threads-max"}));
    EXPECT_EQ(st, 0);
    std::vector<std::string> v = kata::split(limits, '\n');
    ASSERT_EQ(v.size(), 2u) << limits;
    EXPECT_LT(std::stoull(v[0]), std::stoull(v[1])) << limits;
  }

  // What kernel/guest.config promises, seen from a container: a kernel that lost
  // an option fails here, not in a user's hands. Each missing piece prints a line.
  void guest_kernel_has_what_containers_need() {
    SCOPED_TRACE("the guest kernel's features");
    if (!fs::exists(guest_dir() + "/vmlinux")) GTEST_SKIP() << "not the kernel built from source";
    auto req = request("features", {"sh", "-c", R"(
      for ns in cgroup ipc mnt net pid time user uts; do
        test -e /proc/self/ns/$ns || echo "no $ns namespace"; done
      for fs in overlay virtiofs fuse tmpfs devpts mqueue cgroup cgroup2 ext4 hugetlbfs; do
        grep -qw $fs /proc/filesystems || echo "no $fs file system"; done
      mkdir -p /tmp/cg && mount -t cgroup2 none /tmp/cg
      for c in cpuset cpu io memory hugetlb pids misc; do
        grep -qw $c /tmp/cg/cgroup.controllers || echo "no cgroup2 $c controller"; done
      for c in cpuset cpu cpuacct blkio memory devices freezer perf_event hugetlb pids; do
        grep -qw "^$c" /proc/cgroups || echo "no cgroup v1 $c controller"; done
      grep -q user_notif /proc/sys/kernel/seccomp/actions_avail || echo "no seccomp filters"
      grep -q '^AF_VSOCK ' /proc/net/protocols || echo "no vsock socket family"
      for d in virtio_balloon virtio_net virtio_blk virtio_rng virtio_console virtiofs \
               vmw_vsock_virtio_transport; do
        test -d /sys/bus/virtio/drivers/$d || echo "no $d driver"; done
      test -d /sys/bus/platform/drivers/virtio-mmio || echo "no virtio-mmio"
      test -d /sys/bus/pci/drivers/virtio-pci || echo "no virtio-pci"
      test -e /sys/class/tty/ttyS0 || echo "no 8250 serial port"
      test -e /sys/class/misc/tun || echo "no tun"
      test -e /proc/net/ip_tables_names || echo "no iptables"
      test -e /proc/net/ip6_tables_names || echo "no ip6tables"
      ip link add kbr0 type bridge || echo "no bridge"
      ip link add kv0 type veth peer name kv1 || echo "no veth"
      true)"});
    req.mutable_oci()->mutable_linux()->add_namespaces()->set_type("network");
    grpc::LinuxCapabilities* caps = req.mutable_oci()->mutable_process()->mutable_capabilities();
    for (auto* set :
         {caps->mutable_bounding(), caps->mutable_effective(), caps->mutable_permitted()}) {
      set->Add("CAP_NET_ADMIN");
      set->Add("CAP_SYS_ADMIN");  // the cgroup2 mount of the whole tree
    }
    auto [status, out] = run(req);
    EXPECT_EQ(status, 0);
    EXPECT_EQ(out, "");
  }

  config::MachineType machine_type_ = config::MachineType::kMicrovm;
  std::string sandbox_hostname_ = "kata-ctr-test";
  config::Config config_;
  BootOptions options_;
  std::string run_root_;
  std::unique_ptr<GuestVm> guest_;
};

TEST_F(ContainerEngineTest, RunsContainersAndLeavesNothing) {
  // One VM for all: each scenario below removes its containers.
  echo_prints_stdout();
  large_output_is_read_while_waiting();
  exit_code_is_reported();
  stdin_reaches_cat();
  terminal_comes_from_the_containers_devpts();
  terminal_resize_reaches_the_process();
  process_limits_apply();
  seccomp_filter_applies();
  oom_kill_is_reported();
  env_cwd_and_user_apply();
  exec_runs_in_the_running_container();
  running_container_stats_update_pause_and_kill();
  missing_command_fails_create();
  symlinked_mount_destinations_stay_inside();
  read_only_root_refuses_writes();
  device_cgroup_confines_device_nodes();
  cgroup_namespace_is_rooted_at_the_container();
  no_cgroup_of_a_removed_container_is_left();
  guest_kernel_has_what_containers_need();
}

// The same guest kernel on q35: PCI, ACPI, and the PVH boot of vmlinux there too.
class ContainerEngineQ35Test : public ContainerEngineTest {
 protected:
  void SetUp() override {
    machine_type_ = config::MachineType::kQ35;
    ContainerEngineTest::SetUp();
  }
};

TEST_F(ContainerEngineQ35Test, RunsContainers) {
  echo_prints_stdout();
  exit_code_is_reported();
  process_limits_apply();
  guest_kernel_has_what_containers_need();
}

// A pod: the sandbox (pause) container, whose id is the sandbox's, and app containers, in
// one VM. As under runc, they share the sandbox's IPC and UTS namespaces, and its pid
// namespace when CreateContainerRequest.sandbox_pidns says so (shareProcessNamespace).
class ContainerEnginePodTest : public ContainerEngineTest {
 protected:
  void SetUp() override {
    sandbox_hostname_ = "pod-host";
    ContainerEngineTest::SetUp();
  }

  // Without a hostname of its own: what the containers see is CreateSandbox's.
  static grpc::CreateContainerRequest pod_request(const std::string& id,
                                                  std::vector<std::string> args) {
    grpc::CreateContainerRequest req = request(id, std::move(args));
    req.mutable_oci()->clear_hostname();
    return req;
  }

  void create_and_start(const grpc::CreateContainerRequest& req) {
    Result<void> created = agent().create_container(req);
    ASSERT_TRUE(created) << req.container_id() << ": " << created.error().message();
    Result<void> started = agent().start_container(req.container_id());
    ASSERT_TRUE(started) << req.container_id() << ": " << started.error().message();
  }

  // Runs `script` in container `id` through ExecProcess; its stdout, or "exit N: stdout".
  std::string exec_in(const std::string& id, const std::string& script) {
    grpc::ExecProcessRequest exec;
    exec.set_container_id(id);
    exec.set_exec_id("e" + std::to_string(++execs_));
    for (const char* arg : {"sh", "-c"}) exec.mutable_process()->add_args(arg);
    exec.mutable_process()->add_args(script);
    exec.mutable_process()->add_env("PATH=/bin");
    exec.mutable_process()->set_cwd("/");
    Result<void> execd = agent().exec_process(exec);
    if (!execd) return "exec failed: " + execd.error().message();
    Result<std::string> out = read_all(id, exec.exec_id());
    Result<int32_t> status = agent().wait_process(id, exec.exec_id());
    if (!out || !status) return "exec lost: " + (out ? status.error() : out.error()).message();
    return *status == 0 ? *out : "exit " + std::to_string(*status) + ": " + *out;
  }

  // What a container sees of itself: its hostname and namespaces (`ipc:[4026531839]`).
  struct View {
    std::string hostname, ipc, uts, mnt, pid;
  };
  View view_of(const std::string& id) {
    std::string out = exec_in(id,
                              "hostname; cd /proc/self/ns && readlink ipc && readlink uts && "
                              "readlink mnt && readlink pid");
    std::vector<std::string> lines = kata::split(out, '\n');
    EXPECT_EQ(lines.size(), 5u) << id << ": " << out;
    lines.resize(5);
    return {lines[0], lines[1], lines[2], lines[3], lines[4]};
  }

  int execs_ = 0;
};

TEST_F(ContainerEnginePodTest, ContainersShareTheSandboxsIpcAndUtsAndOnRequestItsPids) {
  const std::string sandbox = options_.id;
  grpc::CreateContainerRequest pause = pod_request(sandbox, {"sleep", "1001"});
  // The pod's namespaced sysctls: the sandbox container applies them, for all.
  (*pause.mutable_oci()->mutable_linux()->mutable_sysctl())["kernel.shm_rmid_forced"] = "1";
  grpc::CreateContainerRequest shares_pids = pod_request("app-shares-pids", {"sleep", "1002"});
  shares_pids.set_sandbox_pidns(true);
  grpc::CreateContainerRequest own_pids = pod_request("app-own-pids", {"sleep", "1003"});

  Result<void> early = agent().create_container(shares_pids);
  ASSERT_FALSE(early) << "no sandbox container to share the pids of yet";
  EXPECT_EQ(early.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(early.error().message().find("sandbox container " + sandbox), std::string::npos)
      << early.error().message();

  create_and_start(pause);
  create_and_start(shares_pids);
  create_and_start(own_pids);
  if (HasFatalFailure()) return;

  View s = view_of(sandbox), a = view_of("app-shares-pids"), b = view_of("app-own-pids");
  for (const View* v : {&s, &a, &b}) EXPECT_EQ(v->hostname, "pod-host");
  EXPECT_EQ(s.ipc.rfind("ipc:[", 0), 0u) << s.ipc;
  EXPECT_EQ(a.ipc, s.ipc);
  EXPECT_EQ(b.ipc, s.ipc);
  EXPECT_EQ(s.uts.rfind("uts:[", 0), 0u) << s.uts;
  EXPECT_EQ(a.uts, s.uts);
  EXPECT_EQ(b.uts, s.uts);
  EXPECT_EQ(s.mnt.rfind("mnt:[", 0), 0u) << s.mnt;
  EXPECT_NE(a.mnt, s.mnt);
  EXPECT_NE(b.mnt, s.mnt);
  EXPECT_NE(a.mnt, b.mnt);
  EXPECT_EQ(s.pid.rfind("pid:[", 0), 0u) << s.pid;
  EXPECT_EQ(a.pid, s.pid);
  EXPECT_NE(b.pid, s.pid);

  // An IPC object (a POSIX message queue: each /dev/mqueue shows its IPC namespace's).
  EXPECT_EQ(exec_in(sandbox, "touch /dev/mqueue/pod-queue && ls /dev/mqueue"), "pod-queue\n");
  EXPECT_EQ(exec_in("app-own-pids", "ls /dev/mqueue"), "pod-queue\n");
  EXPECT_EQ(exec_in("app-shares-pids", "ls /dev/mqueue"), "pod-queue\n");
  EXPECT_EQ(exec_in("app-own-pids", "cat /proc/sys/kernel/shm_rmid_forced"), "1\n");
  // oops=panic on the kernel command line: an oops ends the VM rather than half of it.
  EXPECT_EQ(exec_in("app-own-pids", "cat /proc/sys/kernel/panic_on_oops"), "1\n");

  // The sandbox container's processes, seen from the app containers.
  std::string shared = exec_in("app-shares-pids", "ps");
  EXPECT_NE(shared.find("sleep 1001"), std::string::npos) << shared;
  EXPECT_NE(shared.find("sleep 1002"), std::string::npos) << shared;
  std::string own = exec_in("app-own-pids", "ps");
  EXPECT_EQ(own.find("sleep 1001"), std::string::npos) << own;
  EXPECT_NE(own.find("sleep 1003"), std::string::npos) << own;

  // The sandbox container's end takes the processes of its pid namespace along, as
  // under runc; after it, sandbox_pidns has nothing to join.
  ASSERT_TRUE(agent().remove_container("app-own-pids", 10));
  ASSERT_TRUE(agent().remove_container(sandbox, 10));
  auto killed = std::async(std::launch::async,
                           [this] { return agent().wait_process("app-shares-pids", ""); });
  if (killed.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "app-shares-pids outlived the sandbox container";
    (void)agent().signal_process("app-shares-pids", "", SIGKILL);
  }
  Result<int32_t> status = killed.get();
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, 128 + SIGKILL);
  grpc::CreateContainerRequest late = shares_pids;
  late.set_container_id("app-late");
  Result<void> refused = agent().create_container(late);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("not running"), std::string::npos)
      << refused.error().message();
  ASSERT_TRUE(agent().remove_container("app-shares-pids", 10));
}

}  // namespace
}  // namespace kata::runtime
