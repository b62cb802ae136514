#include "sys/mount_options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

namespace kata::sys {
namespace {

TEST(MountOptions, SplitsFlagsFromData) {
  auto o = parse_mount_options({"ro", "nosuid", "nodev", "lowerdir=/a:/b", "index=off"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->flags, MS_RDONLY | MS_NOSUID | MS_NODEV);
  EXPECT_EQ(o->propagation, 0u);
  EXPECT_EQ(o->data_string(), "lowerdir=/a:/b,index=off");
}

TEST(MountOptions, LaterWordsWin) {
  auto o = parse_mount_options({"ro", "rw", "rbind", "rprivate", "rslave"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->flags, MS_BIND | MS_REC);
  EXPECT_EQ(o->propagation, MS_SLAVE | MS_REC);
  EXPECT_TRUE(o->data.empty());
}

TEST(MountOptions, RefusesHostileElements) {
  for (std::string bad : {std::string("lowerdir=/a,upperdir=/etc"), std::string(""),
                          std::string("remount"), std::string("ro\0x", 4)}) {
    auto o = parse_mount_options({bad});
    ASSERT_FALSE(o) << "accepted `" << bad << "`";
    EXPECT_EQ(o.error().code(), Code::kInvalidArgument);
    EXPECT_NE(o.error().message().find("mount option"), std::string::npos);
  }
}

TEST(MountOptions, EmptyListIsNothing) {
  auto o = parse_mount_options({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->flags, 0u);
  EXPECT_EQ(o->data_string(), "");
}

TEST(MountOptions, KnowsEveryMount8FlagWord) {
  auto o = parse_mount_options({"mand", "nostrictatime", "lazytime", "strictatime", "nomand"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->flags, static_cast<unsigned long>(MS_LAZYTIME | MS_STRICTATIME));
  EXPECT_TRUE(o->data.empty());
}

// The guest container engine's spec mounts (formerly agent/container/mount_options).
TEST(SpecMountOptions, FlagsPropagationAndData) {
  MountOptions o =
      split_spec_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k", "rprivate"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(o.data_string(), "mode=755,size=65536k");
  EXPECT_EQ(o.flags & MS_BIND, 0u);
}

TEST(SpecMountOptions, BindAndLaterOptionsWin) {
  MountOptions o = split_spec_mount_options({"rbind", "ro", "rw", "nodev"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_NODEV));
  EXPECT_EQ(bind_remount_flags(o.flags), static_cast<unsigned long>(MS_NODEV));
  EXPECT_EQ(o.data_string(), "");
}

TEST(SpecMountOptions, AcceptsWhatTheStrictParserRefuses) {
  MountOptions o = split_spec_mount_options(
      {"remount", "", "context=\"system_u:object_r:container_file_t:s0:c1,c2\""});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_REMOUNT));
  EXPECT_EQ(o.data_string(), "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
}

TEST(SpecMountOptions, Empty) {
  MountOptions o = split_spec_mount_options({});
  EXPECT_EQ(o.flags, 0u);
  EXPECT_EQ(o.propagation, 0u);
  EXPECT_EQ(o.data_string(), "");
}

}  // namespace
}  // namespace kata::sys
