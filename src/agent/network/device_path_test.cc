#include "agent/network/device_path.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/testing/temp_dir.h"

namespace kata::agent::network {
namespace {

using Names = std::vector<std::string>;

// A sysfs tree with a virtio NIC at 00:03.0, one behind a bridge at
// 00:02.0 -> 01:01.0, and a NIC of its own driver at 00:04.0.
class DevicePath : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pci = dir_.path() + "/devices/pci0000:00";
    mkdir(pci + "/0000:00:03.0/virtio0/net/eth0");
    mkdir(pci + "/0000:00:03.0/driver");
    mkdir(pci + "/0000:00:02.0/0000:01:01.0/virtio1/net/eth1");
    mkdir(pci + "/0000:00:02.0/0000:01:02.0/virtio2");
    mkdir(pci + "/0000:00:04.0/net/ens4");
    mkdir(pci + "/0000:00:04.1/net/ens4f1");
  }
  void mkdir(const std::string& path) { ASSERT_TRUE(fs::mkdir_all(path).ok()) << path; }
  Names at(const std::string& path) {
    Result<Names> names = net_devices_at(dir_.path(), path);
    EXPECT_TRUE(names.ok()) << path << ": " << names.error().message();
    return names.ok() ? *names : Names{"<error>"};
  }
  testing::TempDir dir_;
};

TEST_F(DevicePath, PciPathWalksSlotsBehindBridges) {
  EXPECT_EQ(at("03"), Names{"eth0"});
  EXPECT_EQ(at("02/01"), Names{"eth1"});
  EXPECT_EQ(at("04"), Names{"ens4"});
  EXPECT_EQ(at("04.1"), Names{"ens4f1"});
  EXPECT_EQ(at("04.0"), Names{"ens4"});
}

TEST_F(DevicePath, MissingDeviceOrNetdevIsEmpty) {
  EXPECT_EQ(at("05"), Names{});
  EXPECT_EQ(at("02/03"), Names{});
  EXPECT_EQ(at("02/02"), Names{});  // the driver has not made its netdev yet
  EXPECT_EQ(at("03/01"), Names{});
}

TEST_F(DevicePath, SysfsPathNamesTheDeviceDirectory) {
  EXPECT_EQ(at("/sys/devices/pci0000:00/0000:00:03.0"), Names{"eth0"});
  EXPECT_EQ(at("/sys/devices/pci0000:00/0000:00:02.0/0000:01:01.0/virtio1"), Names{"eth1"});
  EXPECT_EQ(at("/sys/devices/pci0000:00/0000:00:09.0"), Names{});
}

TEST_F(DevicePath, RejectsOtherForms) {
  for (const char* bad : {"", "3", "003", "02/", "/02", "0g", "02/01.8", "/sys/../etc",
                          "/sys/devices/../../etc", "/dev/eth0"}) {
    Result<Names> names = net_devices_at(dir_.path(), bad);
    ASSERT_FALSE(names.ok()) << bad;
    EXPECT_EQ(names.error().code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace kata::agent::network
