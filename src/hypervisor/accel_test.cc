#include "hypervisor/accel.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/fs.h"

namespace kata::hypervisor {
namespace {

using std::chrono::milliseconds;

constexpr const char* kPanicConsole =
    "[    1.56] VFS: Cannot open root device \"(null)\" or unknown-block(0,0): error -6\n"
    "[    1.57] Kernel panic - not syncing: VFS: Unable to mount root fs on "
    "unknown-block(0,0)\n";

KvmProbeObservation opened() {
  KvmProbeObservation p;
  p.dev_kvm_opens = true;
  p.timeout = milliseconds(5000);
  return p;
}

TEST(AccelTest, PanicOnConsoleMeansKvmWorks) {
  EXPECT_TRUE(console_shows_kernel_panic(kPanicConsole));
  EXPECT_TRUE(console_shows_kernel_panic("Kernel panic - not syncing: Attempted to kill init!"));
  EXPECT_FALSE(console_shows_kernel_panic("Probing EDD (edd=off to disable)... ok\n"));
  EXPECT_FALSE(console_shows_kernel_panic(""));
}

TEST(AccelTest, DecisionTable) {
  struct Case {
    const char* name;
    KvmProbeObservation probe;
    Accel want;
    std::string reason_prefix;
  };
  KvmProbeObservation no_dev;
  no_dev.dev_kvm_error = "open `/dev/kvm`: No such file or directory";
  KvmProbeObservation ran = opened();
  ran.exited = true;
  ran.exit_status = "exit status 0";
  ran.console = kPanicConsole;
  ran.elapsed = milliseconds(420);
  KvmProbeObservation panicked_but_killed = opened();
  panicked_but_killed.console = kPanicConsole;
  KvmProbeObservation hung = opened();
  hung.console = "Probing EDD (edd=off to disable)... ok\n";
  KvmProbeObservation qemu_failed = opened();
  qemu_failed.exited = true;
  qemu_failed.exit_status = "exit status 1";
  qemu_failed.qemu_output =
      "qemu-system-x86_64: -accel kvm: failed to initialize kvm: "
      "Permission denied\n";
  KvmProbeObservation no_qemu = opened();
  no_qemu.spawn_error = "exec `/no/qemu`: No such file or directory";

  Case cases[] = {
      {"no /dev/kvm", no_dev, Accel::kTcg, "open `/dev/kvm`: No such file or directory; using TCG"},
      {"guest ran", ran, Accel::kKvm,
       "KVM probe: a test guest booted to its expected panic in 420 ms"},
      {"panicked, killed later", panicked_but_killed, Accel::kKvm,
       "KVM probe: a test guest booted"},
      {"hung", hung, Accel::kTcg,
       "KVM probe: /dev/kvm opens, but a test guest showed no sign of life under KVM within "
       "5000 ms; using TCG"},
      {"qemu failed", qemu_failed, Accel::kTcg,
       "KVM probe: QEMU exited (exit status 1) before the test guest ran: qemu-system-x86_64: "
       "-accel kvm: failed to initialize kvm: Permission denied; using TCG"},
      {"no qemu", no_qemu, Accel::kTcg, "KVM probe: exec `/no/qemu`: No such file or directory"},
  };
  for (const Case& c : cases) {
    AccelVerdict v = decide_accel(c.probe);
    EXPECT_EQ(v.accel, c.want) << c.name;
    EXPECT_EQ(v.reason.rfind(c.reason_prefix, 0), 0u) << c.name << ": " << v.reason;
  }
}

TEST(AccelTest, CacheEntryRoundTripsOnlyForItsKey) {
  std::string key = probe_cache_key("/k", 11, "/q", 22, "abcd-ef\n");
  EXPECT_EQ(key, "kernel=/k@11 qemu=/q@22 boot=abcd-ef");
  AccelVerdict v{Accel::kTcg, "no sign\nof life"};
  std::string entry = format_cache_entry(key, v);
  auto back = parse_cache_entry(entry, key);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->accel, Accel::kTcg);
  EXPECT_EQ(back->reason, "no sign of life");
  EXPECT_FALSE(parse_cache_entry(entry, probe_cache_key("/k", 12, "/q", 22, "abcd-ef")));
  EXPECT_FALSE(parse_cache_entry(entry, probe_cache_key("/k", 11, "/q", 22, "other-boot")));
  EXPECT_FALSE(parse_cache_entry("garbage", key));
  EXPECT_FALSE(parse_cache_entry("key=" + key + "\naccel=hvf\n", key));
  EXPECT_EQ(parse_cache_entry("key=" + key + "\naccel=kvm\n", key)->accel, Accel::kKvm);
}

class ChooseAccelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kata-accel-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    opts_.cache_dir = dir_ + "/cache";
    opts_.kernel = dir_ + "/vmlinuz";
    opts_.qemu_path = dir_ + "/no-qemu";  // a probe that spawns QEMU would fail loudly
    opts_.boot_id_path = dir_ + "/boot_id";
    ASSERT_TRUE(fs::write_file_atomic(opts_.kernel, "not a kernel"));
    ASSERT_TRUE(fs::write_file_atomic(opts_.boot_id_path, "boot-1\n"));
  }
  void TearDown() override { (void)fs::remove_all(dir_); }
  std::string dir_;
  AccelProbeOptions opts_;
};

TEST_F(ChooseAccelTest, ExplicitChoicesSkipTheProbe) {
  auto kvm = choose_accelerator(config::Accelerator::kKvm, opts_);
  ASSERT_TRUE(kvm);
  EXPECT_EQ(kvm->accel, Accel::kKvm);
  auto tcg = choose_accelerator(config::Accelerator::kTcg, opts_);
  ASSERT_TRUE(tcg);
  EXPECT_EQ(tcg->accel, Accel::kTcg);
  EXPECT_FALSE(fs::exists(opts_.cache_dir));
}

TEST_F(ChooseAccelTest, NoDevKvmMeansTcgWithoutCaching) {
  opts_.dev_kvm = dir_ + "/no-kvm";
  auto v = choose_accelerator(config::Accelerator::kAuto, opts_);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->accel, Accel::kTcg);
  EXPECT_EQ(v->reason.rfind("open `" + dir_ + "/no-kvm`: No such file or directory", 0), 0u);
  EXPECT_FALSE(fs::exists(opts_.cache_dir + "/kvm-probe"));
}

TEST_F(ChooseAccelTest, CachedVerdictIsUsedUntilTheBootChanges) {
  opts_.dev_kvm = "/dev/null";  // opens; so only the cache can avoid spawning QEMU
  ASSERT_TRUE(fs::mkdir_all(opts_.cache_dir));
  auto key_for = [&](const std::string& boot) {
    // Same key as choose_accelerator computes (kernel mtime from stat; no QEMU → 0).
    struct stat st {};
    ::stat(opts_.kernel.c_str(), &st);
    int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return probe_cache_key(opts_.kernel, mtime, opts_.qemu_path, 0, boot);
  };
  ASSERT_TRUE(fs::write_file_atomic(
      opts_.cache_dir + "/kvm-probe",
      format_cache_entry(key_for("boot-1"), {Accel::kKvm, "cached verdict"})));
  auto v = choose_accelerator(config::Accelerator::kAuto, opts_);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (AccelVerdict{Accel::kKvm, "cached verdict"}));

  // After a reboot the cache is stale: the probe runs (and here fails to spawn QEMU).
  ASSERT_TRUE(fs::write_file_atomic(opts_.boot_id_path, "boot-2\n"));
  auto v2 = choose_accelerator(config::Accelerator::kAuto, opts_);
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->accel, Accel::kTcg);
  EXPECT_EQ(v2->reason.rfind("KVM probe: exec `" + opts_.qemu_path + "`", 0), 0u) << v2->reason;
}

TEST_F(ChooseAccelTest, MissingKernelIsAnError) {
  opts_.kernel = dir_ + "/none";
  auto v = choose_accelerator(config::Accelerator::kAuto, opts_);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message(),
            "choose accelerator: stat `" + dir_ + "/none`: No such file or directory");
}

}  // namespace
}  // namespace kata::hypervisor
