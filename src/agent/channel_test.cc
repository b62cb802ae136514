#include "agent/channel.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "common/fs.h"

namespace kata::agent {
namespace {

// A throwaway sysfs tree: class/virtio-ports/<port>/name and
// bus/virtio/devices/<dev>/device, as the kernel lays them out.
class FakeSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent-sysfs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { (void)fs::remove_all(root_); }

  void add_port(const std::string& port, const std::string& name) {
    write(root_ + "/class/virtio-ports/" + port + "/name", name);
  }
  void add_device(const std::string& dev, const std::string& id) {
    write(root_ + "/bus/virtio/devices/" + dev + "/device", id);
  }
  static void write(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << content;
  }

  std::string root_;
};

TEST_F(FakeSysfs, FindsNamedPort) {
  add_port("vport0p0", "\n");  // a port the host has not named (yet)
  add_port("vport1p1", "org.qemu.guest_agent.0\n");
  add_port("vport1p2", "agent.channel.0\n");
  EXPECT_EQ(find_serial_port(root_, kSerialPortName), "/dev/vport1p2");
  EXPECT_EQ(find_serial_port(root_, "org.qemu.guest_agent.0"), "/dev/vport1p1");
  EXPECT_EQ(find_serial_port(root_, "agent.channel"), std::nullopt);
}

TEST_F(FakeSysfs, NoPortsDirectory) {
  EXPECT_EQ(find_serial_port(root_, kSerialPortName), std::nullopt);
  EXPECT_EQ(find_serial_port(root_ + "/does-not-exist", kSerialPortName), std::nullopt);
}

TEST_F(FakeSysfs, DetectsVirtioConsoleDevice) {
  EXPECT_FALSE(has_virtio_console(root_));
  add_device("virtio0", "0x0001\n");  // net
  add_device("virtio1", "0x0013\n");  // vsock
  EXPECT_FALSE(has_virtio_console(root_));
  add_device("virtio2", "0x0003\n");
  EXPECT_TRUE(has_virtio_console(root_));
}

TEST_F(FakeSysfs, DetectsVirtioTransports) {
  EXPECT_FALSE(has_pci_devices(root_));
  EXPECT_FALSE(has_virtio_mmio_devices(root_));
  write(root_ + "/bus/platform/devices/serial8250/uevent", "");
  EXPECT_FALSE(has_virtio_mmio_devices(root_));
  write(root_ + "/bus/platform/devices/LNRO0005:00/uevent", "");
  EXPECT_TRUE(has_virtio_mmio_devices(root_));
  write(root_ + "/bus/pci/devices/0000:00:01.0/uevent", "");
  EXPECT_TRUE(has_pci_devices(root_));
}

TEST_F(FakeSysfs, AutoPrefersSerialWhenThePortExists) {
  add_device("virtio0", "0x0013\n");
  add_device("virtio1", "0x0003\n");
  add_port("vport1p1", "agent.channel.0\n");
  auto ch = choose_channel(ChannelKind::kAuto, root_);
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch->kind, Channel::Kind::kSerial);
  EXPECT_EQ(ch->path, "/dev/vport1p1");
  EXPECT_EQ(ch->describe(), "virtio-serial /dev/vport1p1");
}

TEST_F(FakeSysfs, AutoUsesVsockWithoutAConsoleDevice) {
  add_device("virtio0", "0x0013\n");
  auto ch = choose_channel(ChannelKind::kAuto, root_);
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch->kind, Channel::Kind::kVsock);
  EXPECT_EQ(ch->describe(), "vsock port 1024");
}

TEST_F(FakeSysfs, ForcedVsockIgnoresTheSerialPort) {
  add_device("virtio1", "0x0003\n");
  add_port("vport1p1", "agent.channel.0\n");
  auto ch = choose_channel(ChannelKind::kVsock, root_);
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch->kind, Channel::Kind::kVsock);
}

TEST_F(FakeSysfs, ForcedSerialFindsThePort) {
  add_port("vport2p1", "agent.channel.0\n");
  auto ch = choose_channel(ChannelKind::kSerial, root_);
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch->path, "/dev/vport2p1");
}

}  // namespace
}  // namespace kata::agent
