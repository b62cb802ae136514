#include "agent/init/modules.h"

#include <gtest/gtest.h>

namespace kata::agent {
namespace {

// Shaped like the Debian cloud kernel's: depmod lists every dependency, the
// furthest one last.
constexpr char kModulesDep[] = R"(kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/net/vmw_vsock/vsock.ko:
kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko: kernel/net/vmw_vsock/vsock.ko
kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko: kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko kernel/net/vmw_vsock/vsock.ko
kernel/fs/fuse/fuse.ko:
kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/net/dash-name.ko.xz:
)";
constexpr char kBuiltin[] = "kernel/fs/ext4/ext4.ko\nkernel/drivers/tty/serial/8250/8250.ko\n";

size_t index_of(const std::vector<std::string>& v, const std::string& s) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == s) return i;
  }
  return v.size();
}

TEST(ModuleNames, NormalizeAndFromPath) {
  EXPECT_EQ(normalize_module_name("vmw-vsock_virtio-transport"), "vmw_vsock_virtio_transport");
  EXPECT_EQ(module_name_from_path("kernel/fs/fuse/virtiofs.ko"), "virtiofs");
  EXPECT_EQ(module_name_from_path("/lib/modules/x/a-b.ko.zst"), "a_b");
  EXPECT_EQ(module_name_from_path("plain"), "plain");
}

TEST(ParseModuleIndex, ReadsDepAndBuiltin) {
  ModuleIndex index = parse_module_index(kModulesDep, kBuiltin);
  EXPECT_EQ(index.modules.size(), 12u);
  ASSERT_TRUE(index.modules.count("virtio_pci"));
  EXPECT_EQ(index.modules.at("virtio_pci").path, "kernel/drivers/virtio/virtio_pci.ko");
  EXPECT_EQ(index.modules.at("virtio_pci").deps.size(), 4u);
  EXPECT_TRUE(index.modules.count("dash_name"));
  EXPECT_TRUE(index.builtin.count("ext4"));
  EXPECT_TRUE(index.builtin.count("8250"));
}

TEST(ParseModuleList, CommentsBlanksAndDashes) {
  EXPECT_EQ(parse_module_list("# drivers\nvirtio_pci\n\n  virtio-console  # the channel\n"),
            (std::vector<std::string>{"virtio_pci", "virtio_console"}));
  EXPECT_TRUE(parse_module_list("").empty());
}

const std::vector<std::string> kListed = {"virtio_pci",
                                          "virtio_blk",
                                          "virtio-mmio",
                                          "virtio_console",
                                          "fuse",
                                          "vsock",
                                          "vmw_vsock_virtio_transport",
                                          "overlay"};

TEST(SplitBootModules, UnknownChannelAndBusesLoadEveryChannelDriverFirst) {
  BootModules b = split_boot_modules(kListed, BootNeeds{});
  EXPECT_EQ(b.channel, (std::vector<std::string>{"virtio_pci", "virtio_mmio", "virtio_console",
                                                 "vsock", "vmw_vsock_virtio_transport"}));
  EXPECT_EQ(b.later, (std::vector<std::string>{"virtio_blk", "fuse", "overlay"}));
  EXPECT_TRUE(b.skipped.empty());
}

TEST(SplitBootModules, SerialOnMicrovmNeedsOnlyMmioAndConsole) {
  BootModules b = split_boot_modules(
      kListed, BootNeeds{.serial = true, .vsock = false, .pci_bus = false, .mmio_bus = true});
  EXPECT_EQ(b.channel, (std::vector<std::string>{"virtio_mmio", "virtio_console"}));
  EXPECT_EQ(b.later, (std::vector<std::string>{"virtio_blk", "fuse", "vsock",
                                               "vmw_vsock_virtio_transport", "overlay"}));
  EXPECT_EQ(b.skipped, (std::vector<std::string>{"virtio_pci"}));
}

TEST(SplitBootModules, VsockOnQ35NeedsPciAndVsock) {
  BootModules b = split_boot_modules(
      kListed, BootNeeds{.serial = false, .vsock = true, .pci_bus = true, .mmio_bus = false});
  EXPECT_EQ(b.channel,
            (std::vector<std::string>{"virtio_pci", "vsock", "vmw_vsock_virtio_transport"}));
  EXPECT_EQ(b.later, (std::vector<std::string>{"virtio_blk", "virtio_console", "fuse", "overlay"}));
  EXPECT_EQ(b.skipped, (std::vector<std::string>{"virtio_mmio"}));
}

TEST(DropAbsentDeviceDrivers, KeepsDriversOfPresentDevicesAndModulesOfNoDevice) {
  // A microvm with a console (3), an rng (4) and a virtio-fs device (26).
  DeviceModules d = drop_absent_device_drivers({"vsock", "vmw_vsock_virtio_transport", "virtio_blk",
                                                "virtio_net", "fuse", "virtiofs", "overlay"},
                                               {3, 4, 26});
  EXPECT_EQ(d.load, (std::vector<std::string>{"fuse", "virtiofs", "overlay"}));
  EXPECT_EQ(d.absent, (std::vector<std::string>{"vsock", "vmw_vsock_virtio_transport", "virtio_blk",
                                                "virtio_net"}));
}

TEST(DropAbsentDeviceDrivers, NoDevicesSeenDropsEveryDeviceDriver) {
  DeviceModules d = drop_absent_device_drivers({"virtio_blk", "virtiofs", "overlay"}, {});
  EXPECT_EQ(d.load, (std::vector<std::string>{"overlay"}));
  EXPECT_EQ(d.absent, (std::vector<std::string>{"virtio_blk", "virtiofs"}));
}

TEST(PlanModuleLoads, DependenciesFirstNoDuplicates) {
  ModuleIndex index = parse_module_index(kModulesDep, kBuiltin);
  auto plan = plan_module_loads(
      index, {"virtio_pci", "virtio-console", "vmw_vsock_virtio_transport", "virtiofs", "vsock"});
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  const std::vector<std::string>& load = plan->load;
  EXPECT_EQ(load.size(), 11u);  // every module except dash-name, each once
  std::set<std::string> unique(load.begin(), load.end());
  EXPECT_EQ(unique.size(), load.size());
  for (const auto& [name, entry] : index.modules) {
    size_t at = index_of(load, entry.path);
    if (at == load.size()) continue;
    for (const std::string& dep : entry.deps) {
      EXPECT_LT(index_of(load, dep), at) << dep << " must load before " << entry.path;
    }
  }
  EXPECT_TRUE(plan->missing.empty());
  EXPECT_TRUE(plan->builtin.empty());
}

TEST(PlanModuleLoads, BuiltinAndMissingAreReportedNotLoaded) {
  ModuleIndex index = parse_module_index(kModulesDep, kBuiltin);
  auto plan = plan_module_loads(index, {"ext4", "no_such_module", "fuse"});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->load, (std::vector<std::string>{"kernel/fs/fuse/fuse.ko"}));
  EXPECT_EQ(plan->builtin, (std::vector<std::string>{"ext4"}));
  EXPECT_EQ(plan->missing, (std::vector<std::string>{"no_such_module"}));
}

TEST(PlanModuleLoads, MissingDependencyIsReported) {
  ModuleIndex index = parse_module_index("a.ko: gone.ko\n", "");
  auto plan = plan_module_loads(index, {"a"});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->load, (std::vector<std::string>{"a.ko"}));
  EXPECT_EQ(plan->missing, (std::vector<std::string>{"gone"}));
}

TEST(PlanModuleLoads, CycleIsAnError) {
  ModuleIndex index = parse_module_index("a.ko: b.ko\nb.ko: c.ko\nc.ko: a.ko\nd.ko:\n", "");
  auto plan = plan_module_loads(index, {"d", "a"});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(plan.error().message().find("a -> b -> c -> a"), std::string::npos)
      << plan.error().message();
}

TEST(PlanModuleLoads, SelfDependencyIsACycle) {
  ModuleIndex index = parse_module_index("a.ko: a.ko\n", "");
  EXPECT_FALSE(plan_module_loads(index, {"a"}).ok());
}

TEST(PlanModuleLoads, NothingWantedNothingLoaded) {
  ModuleIndex index = parse_module_index(kModulesDep, kBuiltin);
  auto plan = plan_module_loads(index, {});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->load.empty());
}

}  // namespace
}  // namespace kata::agent
