#include "agent/init/mounts.h"

#include <gtest/gtest.h>

#include <string_view>

namespace kata::agent {
namespace {

TEST(ParseMountPoints, ReadsFieldFiveAndUnescapes) {
  constexpr char kInfo[] =
      "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n"
      "23 1 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=4096k\n"
      "40 23 0:33 / /mnt/with\\040space rw - tmpfs tmpfs rw\n"
      "garbage\n";
  std::set<std::string> points = parse_mount_points(kInfo);
  EXPECT_EQ(points, (std::set<std::string>{"/proc", "/dev", "/mnt/with space"}));
  EXPECT_TRUE(parse_mount_points("").empty());
}

TEST(BaseMounts, EachTargetLiesOnAnEarlierOne) {
  const auto& mounts = base_mounts();
  ASSERT_FALSE(mounts.empty());
  for (size_t i = 0; i < mounts.size(); ++i) {
    std::string_view target = mounts[i].target;
    std::string_view parent = target.substr(0, target.rfind('/'));
    if (parent.empty()) continue;  // on the root
    bool found = false;
    for (size_t j = 0; j < i; ++j)
      found = found || parent == mounts[j].target ||
              std::string_view(parent).starts_with(mounts[j].target);
    EXPECT_TRUE(found) << target << " is mounted before its parent";
  }
}

}  // namespace
}  // namespace kata::agent
