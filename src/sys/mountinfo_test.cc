#include "sys/mountinfo.h"

#include <gtest/gtest.h>

namespace kata::sys {
namespace {

constexpr char kSample[] =
    "21 26 0:20 / /proc rw,relatime - proc proc rw\n"
    "26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "40 26 0:30 / /run/kata-containers/shared/sandboxes/s1 rw shared:77 - tmpfs tmpfs rw\n"
    "41 40 0:31 / /run/kata-containers/shared/sandboxes/s1/c1/rootfs rw master:77 - overlay "
    "overlay rw,lowerdir=/l\n"
    "42 26 0:32 / /run/kata-containers/shared/sandboxes/s10 rw - tmpfs tmpfs rw\n"
    "43 26 0:33 /sub /mnt/with\\040space rw - tmpfs a\\134b rw\n"
    "garbage line\n";

TEST(Mountinfo, ParsesFieldsAndPropagation) {
  auto all = parse_mountinfo(kSample);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0].id, 21);
  EXPECT_EQ(all[0].parent_id, 26);
  EXPECT_EQ(all[0].mount_point, "/proc");
  EXPECT_EQ(all[0].fstype, "proc");
  EXPECT_EQ(all[0].options, "rw,relatime");
  EXPECT_EQ(all[0].propagation, "");
  EXPECT_EQ(all[2].propagation, "shared:77");
  EXPECT_EQ(all[3].fstype, "overlay");
  EXPECT_EQ(all[3].super_options, "rw,lowerdir=/l");
  EXPECT_EQ(all[5].mount_point, "/mnt/with space");
  EXPECT_EQ(all[5].root, "/sub");
  EXPECT_EQ(all[5].source, "a\\b");
}

TEST(Mountinfo, UnderMeansAtOrBelowNotSiblingPrefix) {
  auto under = mounts_under(parse_mountinfo(kSample), "/run/kata-containers/shared/sandboxes/s1");
  ASSERT_EQ(under.size(), 2u);
  EXPECT_EQ(under[0].id, 40);
  EXPECT_EQ(under[1].id, 41);
  EXPECT_TRUE(path_is_under("/a/b", "/a/"));
  EXPECT_TRUE(path_is_under("/a", "/a"));
  EXPECT_FALSE(path_is_under("/ab", "/a"));
  EXPECT_TRUE(path_is_under("/x", "/"));
}

TEST(Mountinfo, UnescapesOnlyOctalTriples) {
  EXPECT_EQ(unescape_mount_path("a\\040b"), "a b");
  EXPECT_EQ(unescape_mount_path("a\\011b\\012"), "a\tb\n");
  EXPECT_EQ(unescape_mount_path("a\\9b\\04"), "a\\9b\\04");
}

TEST(Mountinfo, ReadsThisProcess) {
  auto root = list_mounts_under("/");
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_FALSE(root->empty());
}

}  // namespace
}  // namespace kata::sys
