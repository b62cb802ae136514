// Hostile input through a real containerd (Debian's 1.6) and ctr, issue 10: each case
// runs with io.containerd.runc.v2 (Debian's runc 1.1.5, the reference verdict) and with
// io.containerd.kata.v2 (our shim, a VM per sandbox under TCG) wherever runc can take it,
// and both must give the same verdict: refused (ctr fails, no task or container is left)
// or contained (it runs, and what it tried stays inside). Kata++-only cases say why.
// Every sandbox is leak-checked afterwards. What holds each case: docs/trust-boundaries.md.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "e2e/containerd_env.h"
#include "e2e/expect_ctr.h"
#include "e2e/leak_check.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

// Small enough that a few seconds of console flood under TCG rotate it several times.
constexpr uint64_t kConsoleCap = 64 * 1024;

std::unique_ptr<ContainerdEnv> g_env;
std::string g_env_error;
std::string g_rootfs;  // the image unpacked once, for the cases with a full spec

class ContainerdEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    EnvOptions options = default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR);
    options.extra_hypervisor_toml = fmt::format("console_log_max_bytes = {}", kConsoleCap);
    auto env = ContainerdEnv::start(options);
    if (!env) {
      g_env_error = env.error().message();
      return;
    }
    g_env = std::move(*env);
    g_rootfs = g_env->dir() + "/rootfs";
    Result<void> unpacked = g_env->unpack_image_to(g_rootfs);
    if (!unpacked) g_env_error = unpacked.error().message();
  }
  void TearDown() override { g_env.reset(); }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ContainerdEnvironment);

const char* short_name(const char* runtime) {
  return std::string(runtime) == kKataRuntime ? "kata" : "runc";
}

std::string shim_binary() {
  return default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR).shim_dir + "/containerd-shim-kata-v2";
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(g_env && g_env_error.empty()) << "containerd did not start: " << g_env_error;
    ASSERT_TRUE(fs::exists(shim_binary())) << "no `" << shim_binary() << "`";
    sockets_before_ = shim_socket_snapshot();
  }

  void TearDown() override {
    if (!g_env) return;
    EXPECT_EQ(g_env->remove_and_find_leaks(ids_, sockets_before_), "");
    EXPECT_TRUE(g_env->healthy()) << "containerd must survive every case; log:\n"
                                  << g_env->log_tail();
  }

  std::string new_id(const std::string& name) {
    ids_.push_back(g_env->unique_id(name));
    return ids_.back();
  }

  CtrResult ctr(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 180s) {
    return expect_ctr(*g_env, args, timeout);
  }

  // `ctr oci spec` with the root at the unpacked image and `args` as the process.
  nlohmann::json spec(const std::vector<std::string>& args) {
    CtrResult base = ctr({"oci", "spec"});
    EXPECT_EQ(base.exit_code, 0) << base.describe();
    nlohmann::json s = nlohmann::json::parse(base.out, nullptr, false);
    if (s.is_discarded()) s = nlohmann::json::object();
    s["root"] = {{"path", g_rootfs}, {"readonly", false}};
    s["process"]["args"] = args;
    s["process"]["env"] = {"PATH=/bin"};
    return s;
  }

  // `ctr run --rm --config <file> id` with `text` as the file, verbatim.
  CtrResult run_spec_text(const char* runtime, const std::string& id, const std::string& text) {
    std::string path = g_env->dir() + "/spec-" + id + ".json";
    EXPECT_TRUE(fs::write_file_atomic(path, text));
    CtrResult r = ctr({"run", "--rm", "--runtime", runtime, "--config", path, id});
    (void)fs::remove_all(path);
    return r;
  }

  // Whether containerd still lists `id` as a task or a container.
  bool left_behind(const std::string& id) {
    for (const auto& args : {std::vector<std::string>{"task", "ls", "-q"},
                             std::vector<std::string>{"container", "ls", "-q"}}) {
      CtrResult r = ctr(args);
      for (const std::string& line : split(r.out, '\n'))
        if (line == id) return true;
    }
    return false;
  }

  // Refused: ctr fails, says `says`, and neither a task nor a container is left.
  void expect_refused(const char* runtime, const std::string& id, const CtrResult& r,
                      const std::string& says) {
    EXPECT_NE(r.exit_code, 0) << runtime << " took it: " << r.describe();
    EXPECT_NE(r.err.find(says), std::string::npos)
        << runtime << " refused without `" << says << "`: " << r.describe();
    EXPECT_FALSE(left_behind(id)) << runtime << " left " << id << " behind";
  }

  // `spec` under runc, then under Kata++: both must refuse it, runc saying `runc_says`
  // and Kata++ `kata_says` (the JSON path of the field, then the reason).
  void expect_both_refuse(const std::string& name, const nlohmann::json& s,
                          const std::string& runc_says, const std::string& kata_says) {
    SCOPED_TRACE(name);
    std::string id = new_id(name + "-runc");
    expect_refused(kRuncRuntime, id, run_spec_text(kRuncRuntime, id, s.dump()), runc_says);
    id = new_id(name);
    expect_refused(kKataRuntime, id, run_spec_text(kKataRuntime, id, s.dump()), kata_says);
  }

  void start_detached(const std::string& id, const std::vector<std::string>& flags,
                      const std::vector<std::string>& cmd) {
    std::vector<std::string> args = {"run", "-d", "--runtime", kKataRuntime};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(g_env->image());
    args.push_back(id);
    args.insert(args.end(), cmd.begin(), cmd.end());
    CtrResult r = ctr(args);
    ASSERT_EQ(r.exit_code, 0) << r.describe() << "\n" << g_env->log_tail();
  }

  std::vector<std::string> ids_;
  std::set<std::string> sockets_before_;
};

// (uid_t)-1 is "unchanged" to setresuid: taken as is, the workload would stay root.
TEST_F(HostileTest, UidMinusOneIsRefused) {
  nlohmann::json s = spec({"/bin/id"});
  s["process"]["user"] = {{"uid", 4294967295u}, {"gid", 0}};
  expect_both_refuse("uid", s, "uids and gids must be in range 0-2147483647",
                     "process.user.uid: 4294967295 is out of range: uids and gids must be in range "
                     "0-2147483647");
}

// Not namespaced: in the guest it would change the VM's kernel for every container, under
// runc the host's.
TEST_F(HostileTest, NonNamespacedSysctlIsRefused) {
  for (const char* key : {"kernel.sysrq", "vm.drop_caches"}) {
    nlohmann::json s = spec({"/bin/true"});
    s["linux"]["sysctl"] = {{key, "1"}};
    std::string says = fmt::format("sysctl \"{}\" is not in a separate kernel namespace", key);
    expect_both_refuse(fmt::format("sysctl-{}", key[0]), s, says, "linux.sysctl: " + says);
  }
}

TEST_F(HostileTest, NegativeMemoryLimitIsRefused) {
  // ctr's --memory-limit is unsigned: only a spec can say -2.
  nlohmann::json s = spec({"/bin/true"});
  s["linux"]["resources"]["memory"] = {{"limit", -2}};
  expect_both_refuse("memneg", s, "failed to write \"-2\"",
                     "linux.resources.memory.limit: -2 is negative");
}

TEST_F(HostileTest, NofileSoftLimitZeroIsRefused) {
  nlohmann::json s = spec({"/bin/true"});
  s["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 0}, {"hard", 1024}}};
  expect_both_refuse("nofile0", s, "too many open files", "RLIMIT_NOFILE 0 is below 7");
}

// ctr decodes --config with Go's encoding/json, whose scanner stops at 10,000 levels: a
// spec nested 100,000 deep never reaches containerd, under either runtime. Deep but under
// Go's limit, outside the spec's fields, it is dropped when ctr re-encodes the spec, and
// the container runs: no runtime ever sees the nesting (our own limit, 1000 levels on the
// text, is checked by oci_test).
TEST_F(HostileTest, DeeplyNestedJsonNeverReachesTheRuntime) {
  auto nested = [](const nlohmann::json& s, int depth) {
    nlohmann::json with = s;
    with["x-hostile-nesting"] = "HERE";
    std::string text = with.dump();
    size_t at = text.find("\"HERE\"");
    return text.substr(0, at) + std::string(depth, '[') + std::string(depth, ']') +
           text.substr(at + 6);
  };
  nlohmann::json s = spec({"/bin/sh", "-c", "echo ran"});
  for (const char* runtime : {kRuncRuntime, kKataRuntime}) {
    SCOPED_TRACE(runtime);
    std::string id = new_id(std::string("deep-") + short_name(runtime));
    expect_refused(runtime, id, run_spec_text(runtime, id, nested(s, 100000)),
                   "exceeded max depth");
    CtrResult r = run_spec_text(runtime, id, nested(s, 5000));
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "ran\n") << r.describe();
  }
}

// CAP_MKNOD makes the node, the device cgroup keeps it closed: c 4 64 is the serial console
// (the VM's under Kata++, the host's under runc). /dev/null stays usable.
TEST_F(HostileTest, DeviceNodeMadeWithMknodDoesNotOpen) {
  const std::string script =
      "mknod /tmp/c c 4 64 && echo made; (echo x > /tmp/c) || echo refused; "
      "echo x > /dev/null && echo null-ok";
  for (const char* runtime : {kRuncRuntime, kKataRuntime}) {
    SCOPED_TRACE(runtime);
    std::string id = new_id(std::string("mknod-") + short_name(runtime));
    CtrResult r =
        ctr(g_env->run_args(runtime, id, {"sh", "-c", script}, {"--cap-add", "CAP_MKNOD"}));
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "made\nrefused\nnull-ok\n") << r.describe();
    EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.describe();
  }
}

// Kata++ only: under runc the rootfs is the host's by design (its upper dir is a host
// directory mounted as the snapshotter made it). Under Kata++ a privileged container is
// root only in its VM, and what it writes reaches the host through the share, which must
// honour neither setuid bits nor device nodes, nor exec.
TEST_F(HostileTest, SetuidFileAndDeviceNodeInTheShareAreInert) {
  std::string id = new_id("suid");
  ASSERT_NO_FATAL_FAILURE(start_detached(id, {"--privileged"}, {"sleep", "600"}));
  CtrResult made = ctr({"task", "exec", "--exec-id", "make", id, "sh", "-c",
                        "cp /bin/busybox /made-suid && chmod 4755 /made-suid && "
                        "mknod -m 0666 /made b 8 0 && echo made"});
  ASSERT_EQ(made.exit_code, 0) << made.describe();
  ASSERT_EQ(made.out, "made\n") << made.describe();

  // One container, so the sandbox id is the container's: <shared>/<sid>/<cid>/rootfs.
  std::string rootfs = "/run/kata-containers/shared/sandboxes/" + id + "/" + id + "/rootfs";
  struct stat st {};
  ASSERT_EQ(::lstat((rootfs + "/made-suid").c_str(), &st), 0) << rootfs << ": " << strerror(errno);
  EXPECT_TRUE(st.st_mode & S_ISUID) << "the guest's chmod 4755 did not reach the host";
  EXPECT_EQ(st.st_uid, 0u);
  ASSERT_EQ(::lstat((rootfs + "/made").c_str(), &st), 0) << strerror(errno);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  for (const char* name : {"/made-suid", "/made"}) {
    struct statvfs vfs {};
    ASSERT_EQ(::statvfs((rootfs + name).c_str(), &vfs), 0) << name << ": " << strerror(errno);
    EXPECT_TRUE(vfs.f_flag & ST_NOSUID) << name << " sits on a mount that honours setuid";
    EXPECT_TRUE(vfs.f_flag & ST_NODEV) << name << " sits on a mount that honours devices";
    EXPECT_TRUE(vfs.f_flag & ST_NOEXEC) << name << " sits on a mount that allows exec";
  }
  UniqueFd dev(::open((rootfs + "/made").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  EXPECT_FALSE(dev) << "the guest's block device node opened on the host";
  EXPECT_EQ(errno, EACCES);
}

// Kata++ only: runc has no console of its own. A privileged container writes the VM's
// serial console as fast as it can; the host keeps at most console_log_max_bytes of it.
TEST_F(HostileTest, ConsoleFloodStaysUnderTheCap) {
  std::string id = new_id("flood");
  ASSERT_NO_FATAL_FAILURE(start_detached(id, {"--privileged"}, {"sleep", "600"}));
  const std::string run_dir = "/run/kata-containers/" + id;
  auto kept = [&] {
    uint64_t total = 0;
    for (const char* name : {"/console.log", "/console.log.1"}) {
      struct stat st {};
      if (::stat((run_dir + name).c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
    }
    return total;
  };
  // 4 times the cap (and more on the wire: the tty turns \n into \r\n).
  auto flood = g_env->ctr_background(
      {"task", "exec", "--exec-id", "flood", id, "sh", "-c",
       fmt::format("mknod /tmp/s c 4 64 && yes flood-line | head -c {} > /tmp/s; echo end:$?",
                   4 * kConsoleCap)});
  ASSERT_TRUE(flood) << flood.error().message();
  uint64_t most = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!flood->wait_for_stdout("end:", 50ms) && std::chrono::steady_clock::now() < deadline)
    most = std::max(most, kept());
  most = std::max(most, kept());
  Result<CtrResult> flooded = flood->wait(30s);
  ASSERT_TRUE(flooded) << flooded.error().message();
  ASSERT_EQ(flooded->exit_code, 0) << flooded->describe();
  ASSERT_NE(flooded->out.find("end:0"), std::string::npos) << flooded->describe();
  EXPECT_LE(most, kConsoleCap) << "console.log + console.log.1 outgrew the cap";
  Result<std::string> older = fs::read_file(run_dir + "/console.log.1");
  ASSERT_TRUE(older) << "never rotated: the flood did not reach the host";
  EXPECT_NE(older->find("flood-line"), std::string::npos);

  CtrResult rm = ctr({"task", "rm", "-f", id}, 60s);
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();
  CtrResult crm = ctr({"container", "rm", id});
  EXPECT_EQ(crm.exit_code, 0) << crm.describe();
}

// root.path relative to the bundle, climbing out of it: runc joins it to the bundle and
// runs there (a runc rootfs is any host path its caller names, by design). Kata++ refuses
// it: the path becomes a host bind into the share, and host paths there are clean and
// absolute (docs/virtio-fs.md). The verdicts differ on purpose; runc's is asserted as the
// reference.
TEST_F(HostileTest, RelativeRootPathOutOfTheBundleIsRefused) {
  nlohmann::json s = spec({"/bin/sh", "-c", "echo ran"});
  std::string climb;
  for (int i = 0; i < 32; ++i) climb += "../";  // more than the bundle is deep: stops at /
  s["root"]["path"] = climb + g_rootfs.substr(1);

  std::string id = new_id("relroot-runc");
  CtrResult r = run_spec_text(kRuncRuntime, id, s.dump());
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "ran\n") << r.describe();

  id = new_id("relroot");
  expect_refused(kKataRuntime, id, run_spec_text(kKataRuntime, id, s.dump()), "'..' component");
}

// A hostile id never names a directory: containerd refuses it before any shim runs, and
// the shim refuses it on its own when run directly (containerd's cleanup does, with ids
// from disk), creating nothing either way.
TEST_F(HostileTest, HostileIdIsRefusedAndCreatesNothing) {
  std::string name = "hostile-" + std::to_string(::getpid());
  std::string bad = "../" + name;
  for (const char* runtime : {kRuncRuntime, kKataRuntime}) {
    CtrResult r = ctr(g_env->run_args(runtime, bad, {"true"}));
    expect_refused(runtime, bad, r, "identifier");
    // ctr prepares the snapshot before containerd refuses the id, whatever the
    // runtime, and leaves it: gone before the next runtime tries the same id.
    (void)ctr({"snapshots", "rm", bad});
  }
  std::string bundle = g_env->dir() + "/bundle-" + name;
  ASSERT_TRUE(fs::mkdir_all(bundle));
  for (const char* verb : {"start", "delete"}) {
    Result<CtrResult> r =
        run_captured({shim_binary(), "-namespace", g_env->ns(), "-address", g_env->address(),
                      "-publish-binary", "containerd", "-id", bad, "-bundle", bundle, verb},
                     30s);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_NE(r->exit_code, 0) << verb << ": " << r->describe();
    EXPECT_NE(r->err.find("invalid id `" + bad + "`"), std::string::npos)
        << verb << ": " << r->describe();
  }
  for (const std::string& path :
       {"/run/" + name, "/run/kata-containers/" + name, "/run/kata-containers/shared/" + name,
        bundle + "/address", bundle + "/shim.pid"})
    EXPECT_FALSE(fs::exists(path)) << path;
  (void)fs::remove_all(bundle);
}

}  // namespace
}  // namespace kata::e2e
