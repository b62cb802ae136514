#include "agent/container/mount_options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

namespace kata::agent::container {
namespace {

TEST(MountOptions, FlagsPropagationAndData) {
  MountOptions o =
      parse_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k", "rprivate"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(o.data, "mode=755,size=65536k");
  EXPECT_FALSE(o.bind());
}

TEST(MountOptions, BindAndLaterOptionsWin) {
  MountOptions o = parse_mount_options({"rbind", "ro", "rw", "nodev"});
  EXPECT_TRUE(o.bind());
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_NODEV));
  EXPECT_EQ(bind_remount_flags(o.flags), static_cast<unsigned long>(MS_NODEV));
  EXPECT_EQ(o.data, "");
}

TEST(MountOptions, Empty) {
  MountOptions o = parse_mount_options({});
  EXPECT_EQ(o.flags, 0u);
  EXPECT_EQ(o.propagation, 0u);
  EXPECT_EQ(o.data, "");
}

}  // namespace
}  // namespace kata::agent::container
