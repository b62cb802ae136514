#include "hypervisor/qemu/cmdline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "hypervisor/qemu/kernel_params.h"
#include "hypervisor/qemu/vm_config.h"

namespace kata::hypervisor::qemu {
namespace {

using ::testing::ElementsAreArray;

// True if `words` appear in `argv` consecutively.
bool has_run(const std::vector<std::string>& argv, const std::vector<std::string>& words) {
  return std::search(argv.begin(), argv.end(), words.begin(), words.end()) != argv.end();
}

VmConfig base_config() {
  VmConfig c;
  c.qemu_path = "/usr/bin/qemu-system-x86_64";
  c.run_dir = "/run/kata/sb1";
  c.kernel = "/k/vmlinuz";
  c.initrd = "/k/initrd.img";
  c.memory_mib = 512;
  c.vcpus = 2;
  return c;
}

TEST(CmdlineTest, MicrovmSerialTcgFullArgv) {
  VmConfig c = base_config();
  c.name = "sb1";
  RunPaths p = RunPaths::in(c.run_dir);
  std::vector<std::string> argv = build_command_line(c, p, "console=ttyS0").argv();
  EXPECT_THAT(argv,
              ElementsAreArray<std::string>({
                  "/usr/bin/qemu-system-x86_64",
                  "-name",
                  "sb1",
                  "-machine",
                  "microvm,memory-backend=mem",
                  "-global",
                  "virtio-mmio.force-legacy=false",
                  "-accel",
                  "tcg",
                  "-cpu",
                  "qemu64,+arat",
                  "-smp",
                  "2",
                  "-m",
                  "512M",
                  "-object",
                  "memory-backend-memfd,id=mem,size=512M,share=on",
                  "-nodefaults",
                  "-no-user-config",
                  "-nographic",
                  "-display",
                  "none",
                  "-no-reboot",
                  "-kernel",
                  "/k/vmlinuz",
                  "-initrd",
                  "/k/initrd.img",
                  "-append",
                  "console=ttyS0",
                  "-add-fd",
                  "fd=3,set=3",
                  "-chardev",
                  "file,id=console,path=/dev/fdset/3,append=on",
                  "-serial",
                  "chardev:console",
                  "-sandbox",
                  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                  "-chardev",
                  "socket,id=qmp,path=/run/kata/sb1/qmp.sock,server=on,wait=off",
                  "-mon",
                  "chardev=qmp,mode=control",
                  "-device",
                  "virtio-serial-device,id=agent-serial",
                  "-chardev",
                  "socket,id=agent,path=/run/kata/sb1/agent.sock,server=on,wait=off",
                  "-device",
                  "virtserialport,bus=agent-serial.0,chardev=agent,name=agent.channel.0",
                  "-object",
                  "rng-random,id=rng0,filename=/dev/urandom",
                  "-device",
                  "virtio-rng-device,rng=rng0",
                  "-device",
                  "virtio-balloon-device,id=balloon0,free-page-reporting=on,deflate-on-oom=on",
              }));
}

struct Case {
  const char* name;
  Machine machine;
  Channel channel;
  Accel accel;
  std::vector<std::vector<std::string>> present;
  std::vector<std::vector<std::string>> absent;
};

class CmdlineCases : public ::testing::TestWithParam<Case> {};

TEST_P(CmdlineCases, HasExpectedArguments) {
  const Case& t = GetParam();
  VmConfig c = base_config();
  c.machine = t.machine;
  c.agent_channel = t.channel;
  c.accel = t.accel;
  c.vsock_guest_cid = 7;
  std::vector<std::string> argv = build_command_line(c, RunPaths::in(c.run_dir), "x").argv();
  for (const auto& run : t.present) {
    EXPECT_TRUE(has_run(argv, run)) << ::testing::PrintToString(run);
  }
  for (const auto& run : t.absent) {
    EXPECT_FALSE(has_run(argv, run)) << ::testing::PrintToString(run);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, CmdlineCases,
    ::testing::Values(Case{"q35_serial_kvm",
                           Machine::kQ35,
                           Channel::kSerial,
                           Accel::kKvm,
                           {{"-machine", "q35"},
                            {"-numa", "node,memdev=mem"},
                            {"-accel", "kvm", "-cpu", "host"},
                            {"-device", "virtio-serial-pci,id=agent-serial"},
                            {"-device", "virtio-rng-pci,rng=rng0"},
                            {"-device",
                             "virtio-balloon-pci,id=balloon0,free-page-reporting=on,"
                             "deflate-on-oom=on"}},
                           {{"-global", "virtio-mmio.force-legacy=false"}, {"-accel", "tcg"}}},
                      Case{"q35_vsock_tcg",
                           Machine::kQ35,
                           Channel::kVsock,
                           Accel::kTcg,
                           {{"-device", "vhost-vsock-pci,id=vsock0,guest-cid=7"},
                            {"-accel", "tcg", "-cpu", "qemu64,+arat"}},
                           {{"-device", "virtio-serial-pci,id=agent-serial"}, {"-cpu", "host"}}},
                      Case{"microvm_vsock_kvm",
                           Machine::kMicrovm,
                           Channel::kVsock,
                           Accel::kKvm,
                           {{"-machine", "microvm,memory-backend=mem"},
                            {"-device", "vhost-vsock-device,id=vsock0,guest-cid=7"},
                            {"-accel", "kvm", "-cpu", "host"}},
                           {{"-numa", "node,memdev=mem"}}},
                      Case{"microvm_serial_tcg",
                           Machine::kMicrovm,
                           Channel::kSerial,
                           Accel::kTcg,
                           {{"-device", "virtio-serial-device,id=agent-serial"},
                            {"-global", "virtio-mmio.force-legacy=false"}},
                           {{"-device", "vhost-vsock-device,id=vsock0,guest-cid=7"}}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(CmdlineTest, CommasInPathsAreEscaped) {
  VmConfig c = base_config();
  c.run_dir = "/run/a,b";
  std::vector<std::string> argv = build_command_line(c, RunPaths::in(c.run_dir), "x").argv();
  EXPECT_TRUE(
      has_run(argv, {"-chardev", "socket,id=qmp,path=/run/a,,b/qmp.sock,server=on,wait=off"}));
  EXPECT_EQ(SerialConsoleArg{.log_path = "/p,q"}.argv(),
            (std::vector<std::string>{"-chardev", "file,id=console,path=/p,,q", "-serial",
                                      "chardev:console"}));
  EXPECT_EQ(escape_option_value("a,,b"), "a,,,,b");
}

TEST(CmdlineTest, SandboxComesFromTheConfigAndEmptyMeansNone) {
  VmConfig c = base_config();
  c.seccomp_sandbox = "on,spawn=deny";
  auto argv = build_command_line(c, RunPaths::in(c.run_dir), "x").argv();
  EXPECT_TRUE(has_run(argv, {"-sandbox", "on,spawn=deny"}));
  c.seccomp_sandbox = "";
  argv = build_command_line(c, RunPaths::in(c.run_dir), "x").argv();
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "-sandbox"), 0);
}

TEST(CmdlineTest, RngBalloonAndInitrdAreOptional) {
  VmConfig c = base_config();
  c.devices.clear();
  c.initrd = "";
  std::vector<std::string> argv = build_command_line(c, RunPaths::in(c.run_dir), "x").argv();
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "-initrd"), 0);
  EXPECT_FALSE(has_run(argv, {"-device", "virtio-rng-device,rng=rng0"}));
  for (const std::string& word : argv) EXPECT_EQ(word.find("balloon"), std::string::npos);
}

TEST(CmdlineTest, SharedFsAddsVhostUserFsPerMachine) {
  VmConfig c = base_config();
  c.devices = {SharedFsDevice{}};
  RunPaths p = RunPaths::in(c.run_dir);
  EXPECT_EQ(p.virtiofs_socket, "/run/kata/sb1/virtiofsd.sock");
  std::vector<std::string> micro = build_command_line(c, p, "").argv();
  EXPECT_TRUE(
      has_run(micro, {"-chardev", "socket,id=fs0-sock,path=/run/kata/sb1/virtiofsd.sock", "-device",
                      "vhost-user-fs-device,id=fs0,chardev=fs0-sock,tag=kataShared,"
                      "queue-size=1024"}));
  c.machine = Machine::kQ35;
  std::vector<std::string> q35 = build_command_line(c, p, "").argv();
  EXPECT_TRUE(has_run(q35, {"-device",
                            "vhost-user-fs-pci,id=fs0,chardev=fs0-sock,tag=kataShared,"
                            "queue-size=1024"}));
  // vhost-user needs the guest RAM shared with virtiofsd; q35 binds it through NUMA.
  EXPECT_TRUE(has_run(q35, {"-numa", "node,memdev=mem"}));
  c.devices.clear();
  for (const std::string& w : build_command_line(c, p, "").argv()) {
    EXPECT_EQ(w.find("vhost-user-fs"), std::string::npos) << w;
  }
}

TEST(CmdlineTest, NicsGetTheInheritedTapsInOrder) {
  VmConfig c = base_config();
  c.devices = {NetDevice{.tap_fd = 17, .mac = "02:42:0a:63:07:02", .mtu = 1450}, RngDevice{},
               NetDevice{.tap_fd = 9}};
  EXPECT_EQ(inherited_tap_fds(c), (std::vector<int>{17, 9}));
  RunPaths p = RunPaths::in(c.run_dir);
  std::vector<std::string> micro = build_command_line(c, p, "").argv();
  // The console is descriptor 3; the taps follow as 4 and 5.
  EXPECT_TRUE(
      has_run(micro, {"-netdev", "tap,id=net0,fd=4,vhost=off", "-device",
                      "virtio-net-device,netdev=net0,mac=02:42:0a:63:07:02,host_mtu=1450"}));
  EXPECT_TRUE(has_run(micro, {"-netdev", "tap,id=net1,fd=5,vhost=off", "-device",
                              "virtio-net-device,netdev=net1"}));
  c.machine = Machine::kQ35;
  EXPECT_TRUE(
      has_run(build_command_line(c, p, "").argv(), {"-device", "virtio-net-pci,netdev=net1"}));
}

TEST(CmdlineTest, RunPathsIgnoreTrailingSlash) {
  EXPECT_EQ(RunPaths::in("/run/x/").qmp_socket, "/run/x/qmp.sock");
  EXPECT_EQ(RunPaths::in("/run/x").qemu_log, "/run/x/qemu.log");
}

TEST(CmdlineTest, VmConfigFromConfiguration) {
  config::Config cfg;
  cfg.hypervisor.machine_type = config::MachineType::kQ35;
  cfg.hypervisor.default_vcpus = 3;
  cfg.hypervisor.kernel_params = "x=1";
  cfg.agent.enable_debug = true;
  auto c = vm_config_from(cfg, Accel::kKvm, Channel::kVsock, "/run/kata/a");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->machine, Machine::kQ35);
  EXPECT_EQ(c->accel, Accel::kKvm);
  EXPECT_EQ(c->agent_channel, Channel::kVsock);
  EXPECT_EQ(c->vcpus, 3u);
  EXPECT_EQ(c->memory_mib, 2048u);
  EXPECT_EQ(c->kernel, cfg.hypervisor.kernel);
  EXPECT_EQ(c->initrd, cfg.hypervisor.initrd);
  EXPECT_TRUE(c->agent_debug);
  EXPECT_EQ(c->kernel_params, "x=1");
  EXPECT_EQ(c->run_dir, "/run/kata/a");

  cfg.hypervisor.image = "/img";
  cfg.hypervisor.initrd = "";
  auto image = vm_config_from(cfg, Accel::kKvm, Channel::kVsock, "/run/kata/a");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code(), Code::kUnimplemented);
}

TEST(KernelParamsTest, Table) {
  struct P {
    KernelParamsSpec spec;
    std::string want;
  } cases[] = {
      {{.machine = Machine::kMicrovm, .accel = Accel::kTcg, .tsc_khz = 2499998},
       "console=ttyS0 quiet panic=-1 oops=panic tsc_early_khz=2499998 tsc=reliable "
       "agent.channel=serial"},
      {{.machine = Machine::kMicrovm, .accel = Accel::kKvm, .tsc_khz = 2499998},
       "console=ttyS0 quiet panic=-1 oops=panic agent.channel=serial"},
      {{.machine = Machine::kQ35, .accel = Accel::kTcg, .tsc_khz = 2499998},
       "console=ttyS0 quiet panic=-1 oops=panic tsc=reliable agent.channel=serial"},
      {{.machine = Machine::kMicrovm, .accel = Accel::kTcg, .tsc_khz = 0},
       "console=ttyS0 quiet panic=-1 oops=panic tsc=reliable agent.channel=serial"},
      {{.machine = Machine::kQ35, .accel = Accel::kKvm, .channel = Channel::kVsock},
       "console=ttyS0 quiet panic=-1 oops=panic agent.channel=vsock"},
      {{.machine = Machine::kQ35, .accel = Accel::kKvm, .debug = true, .agent_debug = true},
       "console=ttyS0 panic=-1 oops=panic agent.channel=serial agent.log=debug"},
      {{.machine = Machine::kQ35, .accel = Accel::kKvm, .agent_debug = true, .extra = " a=1 b "},
       "console=ttyS0 quiet panic=-1 oops=panic agent.channel=serial agent.log=debug a=1 b"},
      {{.machine = Machine::kQ35,
        .accel = Accel::kKvm,
        .parked_nics = {"02:00:00:00:00:01", "02:00:00:00:00:02"},
        .extra = "a=1"},
       "console=ttyS0 quiet panic=-1 oops=panic agent.channel=serial "
       "agent.park_nic=02:00:00:00:00:01 "
       "agent.park_nic=02:00:00:00:00:02 a=1"},
  };
  for (const P& p : cases) EXPECT_EQ(build_kernel_params(p.spec), p.want);
}

}  // namespace
}  // namespace kata::hypervisor::qemu
