// The parts of rootfs mounting that need no root: checking what containerd hands over.
#include "resource/rootfs.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>

#include "resource/shared_dir.h"

namespace kata::resource {
namespace {

TEST(PlanMount, OverlayFromContainerd) {
  auto p = plan_mount({"overlay",
                       "overlay",
                       {"index=off", "workdir=/var/lib/s/1/work", "upperdir=/var/lib/s/1/fs",
                        "lowerdir=/var/lib/s/2/fs:/var/lib/s/3/fs"}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->fstype, "overlay");
  EXPECT_EQ(p->source, "overlay");
  EXPECT_EQ(p->flags, 0u);
  EXPECT_FALSE(p->remount);
  EXPECT_EQ(p->data,
            "index=off,workdir=/var/lib/s/1/work,upperdir=/var/lib/s/1/fs,"
            "lowerdir=/var/lib/s/2/fs:/var/lib/s/3/fs");
}

TEST(PlanMount, ReadOnlyBindNeedsARemount) {
  auto p = plan_mount({"bind", "/var/lib/native/snap/4", {"rbind", "ro"}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->fstype, "");
  EXPECT_EQ(p->flags, MS_BIND | MS_REC | MS_RDONLY);
  EXPECT_TRUE(p->remount);
  auto rw = plan_mount({"bind", "/x", {"rbind", "rw"}});
  ASSERT_TRUE(rw);
  EXPECT_FALSE(rw->remount);
}

TEST(PlanMount, RefusesHostileSpecs) {
  struct Case {
    const char* name;
    MountSpec spec;
    const char* want;  // part of the message
  } cases[] = {
      {"unknown type", {"ext4", "/dev/sda1", {}}, "mount type `ext4`: not supported"},
      {"proc", {"proc", "proc", {}}, "not supported"},
      {"comma trick",
       {"overlay", "overlay", {"lowerdir=/a,upperdir=/etc", "workdir=/w"}},
       "one option per element"},
      {"relative lowerdir", {"overlay", "overlay", {"lowerdir=a/b"}}, "not an absolute path"},
      {"dotdot lowerdir",
       {"overlay", "overlay", {"lowerdir=/a/../../etc"}},
       "'.' or '..' component"},
      {"empty layer", {"overlay", "overlay", {"lowerdir=/a::/b"}}, "empty"},
      {"no lowerdir", {"overlay", "overlay", {"upperdir=/u", "workdir=/w"}}, "no lowerdir"},
      {"upper without work", {"overlay", "overlay", {"lowerdir=/l", "upperdir=/u"}}, "together"},
      {"unknown overlay key",
       {"overlay", "overlay", {"lowerdir=/l", "default_permissions"}},
       "not supported"},
      {"escape", {"overlay", "overlay", {"lowerdir=/l\\:x"}}, "escapes"},
      {"bind relative", {"bind", "rootfs", {"rbind"}}, "not an absolute path"},
      {"bind data", {"bind", "/x", {"rbind", "uid=0"}}, "not supported"},
      {"remount", {"bind", "/x", {"remount", "ro"}}, "remount is not allowed"},
      {"overlay bind", {"overlay", "overlay", {"lowerdir=/l", "bind"}}, "bind options"},
  };
  for (const Case& c : cases) {
    auto p = plan_mount(c.spec);
    ASSERT_FALSE(p) << c.name;
    EXPECT_EQ(p.error().code(), Code::kInvalidArgument) << c.name;
    EXPECT_NE(p.error().message().find(c.want), std::string::npos)
        << c.name << ": " << p.error().message();
  }
}

TEST(PlanMount, RefusesOverlongOverlayData) {
  std::string lower = "lowerdir=/l";
  for (int i = 0; i < 400; ++i) lower += ":/layer/" + std::to_string(i);
  auto p = plan_mount({"overlay", "overlay", {lower}});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("one page"), std::string::npos) << p.error().message();
}

TEST(CleanPath, Table) {
  EXPECT_TRUE(validate_clean_path("/", "p"));
  EXPECT_TRUE(validate_clean_path("/run/kata-containers/shared/sandboxes/s/c/rootfs", "p"));
  for (const std::string& bad : std::vector<std::string>{"", "run", "/a/", "/a//b", "/a/./b",
                                                         "/a/..", std::string("/a\0b", 4)}) {
    auto r = validate_clean_path(bad, "target");
    ASSERT_FALSE(r) << "accepted `" << bad << "`";
    EXPECT_EQ(r.error().message().rfind("target `", 0), 0u) << r.error().message();
  }
}

TEST(MountRootfs, RefusesBadInputBeforeTouchingAnything) {
  auto r = mount_rootfs({{"overlay", "overlay", {"lowerdir=/l"}}}, "relative/rootfs");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  auto none = mount_rootfs({}, "/tmp/kata-never-created");
  ASSERT_FALSE(none);
  auto bad_type = mount_rootfs({{"nfs", "h:/x", {}}}, "/tmp/kata-never-created/rootfs");
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message().find("mount rootfs at `/tmp/kata-never-created/rootfs`"),
            std::string::npos)
      << bad_type.error().message();
  EXPECT_FALSE(std::ifstream("/tmp/kata-never-created").good());
}

TEST(SharedDir, Layout) {
  EXPECT_EQ(sandbox_shared_dir("sb1"), "/run/kata-containers/shared/sandboxes/sb1");
  EXPECT_EQ(sandbox_shared_dir("sb1", "/tmp/x/"), "/tmp/x/sb1");
  EXPECT_EQ(container_rootfs_dir("/tmp/x/sb1", "c1"), "/tmp/x/sb1/c1/rootfs");
}

}  // namespace
}  // namespace kata::resource
