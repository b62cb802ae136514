// Real mounts and a real virtiofsd: needs root (label `root`).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "common/fs.h"
#include "common/strings.h"
#include "resource/rootfs.h"
#include "resource/shared_dir.h"
#include "resource/virtiofsd.h"

namespace kata::resource {
namespace {

class RootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/kata-rootfs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* d : {"/lower", "/upper", "/work"}) ASSERT_TRUE(fs::mkdir_all(dir_ + d));
    ASSERT_TRUE(fs::write_file_atomic(dir_ + "/lower/hello", "hi\n"));
  }
  void TearDown() override {
    if (dir_.empty()) return;
    auto left = list_mounts_under(dir_);
    ASSERT_TRUE(left);
    EXPECT_TRUE(left->empty()) << "left mounted: " << left->front().mount_point;
    (void)unmount_tree(dir_);
    (void)fs::remove_all(dir_);
  }
  std::vector<MountSpec> overlay() const {
    return {{"overlay",
             "overlay",
             {"lowerdir=" + dir_ + "/lower", "upperdir=" + dir_ + "/upper",
              "workdir=" + dir_ + "/work"}}};
  }
  std::string dir_;
};

TEST_F(RootTest, OverlayMountsAndUnmounts) {
  std::string target = dir_ + "/shared/c1/rootfs";
  Result<void> m = mount_rootfs(overlay(), target);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(*fs::read_file(target + "/hello"), "hi\n");
  auto again = mount_rootfs(overlay(), target);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);
  ASSERT_EQ(list_mounts_under(target)->size(), 1u);
  Result<void> u = unmount_tree(target);
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_TRUE(list_mounts_under(target)->empty());
  EXPECT_TRUE(unmount_tree(target)) << "nothing mounted is fine";
}

TEST_F(RootTest, ReadOnlyRbindIsReadOnly) {
  ASSERT_TRUE(fs::mkdir_all(dir_ + "/lower/sub"));
  ASSERT_TRUE(::mount("tmpfs", (dir_ + "/lower/sub").c_str(), "tmpfs", 0, nullptr) == 0);
  std::string target = dir_ + "/ro";
  Result<void> m = mount_rootfs({{"bind", dir_ + "/lower", {"rbind", "ro"}}}, target);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_FALSE(fs::write_file_atomic(target + "/new", "x")) << "a ro bind must refuse writes";
  EXPECT_EQ(list_mounts_under(target)->size(), 2u) << "rbind takes the submount along";
  ASSERT_TRUE(unmount_tree(target));
  ASSERT_TRUE(unmount_tree(dir_ + "/lower/sub"));
}

TEST_F(RootTest, FailureUndoesEverything) {
  std::string target = dir_ + "/fail/rootfs";
  // Two stacked mounts, the second one fails: the first must go, and the target too.
  std::vector<MountSpec> mounts = overlay();
  mounts.push_back({"bind", dir_ + "/no-such-dir", {"rbind"}});
  auto m = mount_rootfs(mounts, target);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("no-such-dir"), std::string::npos) << m.error().message();
  EXPECT_TRUE(list_mounts_under(dir_ + "/fail")->empty());
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(RootTest, SymlinkInTargetIsRefused) {
  // The guest can write the shared dir: a container dir it replaced with a link to
  // the host's /etc must not get the rootfs mounted over /etc.
  ASSERT_EQ(::symlink((dir_ + "/upper").c_str(), (dir_ + "/evil").c_str()), 0);
  auto m = mount_rootfs(overlay(), dir_ + "/evil/rootfs");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("symlink"), std::string::npos) << m.error().message();
  EXPECT_TRUE(list_mounts_under(dir_)->empty());
}

TEST_F(RootTest, SharedDirIsASharedBindAndGoesAway) {
  std::string shared = dir_ + "/sandboxes/sb1";
  ASSERT_TRUE(prepare_shared_dir(shared));
  auto mounts = list_mounts_under(shared);
  ASSERT_EQ(mounts->size(), 1u);
  EXPECT_NE(mounts->front().propagation.find("shared:"), std::string::npos)
      << mounts->front().propagation;
  auto twice = prepare_shared_dir(shared);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), Code::kAlreadyExists);
  ASSERT_TRUE(mount_rootfs(overlay(), container_rootfs_dir(shared, "c1")));
  // A leaked container rootfs is unmounted too, and only then is the tree removed:
  // the lower dir it showed must survive.
  Result<void> released = release_shared_dir(shared, /*remove=*/true);
  ASSERT_TRUE(released) << released.error().message();
  EXPECT_FALSE(fs::exists(shared));
  EXPECT_TRUE(fs::exists(dir_ + "/lower/hello"));
}

bool has_share_flags(const sys::MountEntry& m) {
  std::vector<std::string> o = split(m.options, ',');
  auto has = [&](const char* f) { return std::find(o.begin(), o.end(), f) != o.end(); };
  return has("nosuid") && has("nodev") && has("noexec");
}

// The guest writes the share: a setuid binary or a device node it makes there must mean
// nothing on the host, in our namespace and in virtiofsd's copy of the mounts alike.
TEST_F(RootTest, EverythingInTheShareIsNosuidNodevNoexec) {
  std::string shared = dir_ + "/sandboxes/sb1";
  ASSERT_TRUE(prepare_shared_dir(shared));
  std::unique_ptr<Virtiofsd> vfs;
  if (fs::exists("/usr/lib/qemu/virtiofsd")) {
    auto started = Virtiofsd::start(
        {.shared_dir = shared, .socket_path = dir_ + "/vfs.sock", .log_path = dir_ + "/vfs.log"});
    ASSERT_TRUE(started) << started.error().message();
    vfs = std::move(*started);
  }
  // Mounted after virtiofsd made its namespace: they reach it by propagation only.
  ASSERT_TRUE(fs::mkdir_all(dir_ + "/lower/sub"));
  ASSERT_EQ(::mount("tmpfs", (dir_ + "/lower/sub").c_str(), "tmpfs", 0, nullptr), 0);
  std::string rootfs = container_rootfs_dir(shared, "c1");
  ASSERT_TRUE(mount_rootfs(overlay(), rootfs));
  ASSERT_TRUE(mount_rootfs({{"bind", dir_ + "/lower", {"rbind"}}}, shared + "/c1/mounts/0"));
  ASSERT_TRUE(bind_file(dir_ + "/lower/hello", shared + "/c1/mounts/1", false));

  auto mounts = list_mounts_under(shared);
  ASSERT_EQ(mounts->size(), 5u);  // self bind, overlay, rbind + its submount, file
  for (const sys::MountEntry& m : *mounts) {
    EXPECT_TRUE(has_share_flags(m)) << m.mount_point << ": " << m.options;
  }
  if (vfs) {
    std::string info = "/proc/" + std::to_string(vfs->pid()) + "/mountinfo";
    auto theirs = sys::list_mounts_under("/", info);
    ASSERT_TRUE(theirs) << theirs.error().message();
    int seen = 0;
    for (const sys::MountEntry& m : *theirs) {
      if (m.mount_point.find("/c1/") == std::string::npos) continue;
      ++seen;
      EXPECT_TRUE(has_share_flags(m)) << "virtiofsd's " << m.mount_point << ": " << m.options;
    }
    EXPECT_EQ(seen, 4) << "the container mounts propagate into virtiofsd's namespace";
  }

  struct statvfs st {};
  ASSERT_EQ(::statvfs(rootfs.c_str(), &st), 0);
  EXPECT_TRUE((st.f_flag & ST_NOSUID) && (st.f_flag & ST_NODEV) && (st.f_flag & ST_NOEXEC));
  // What the hostile guest did: a device node with a host device's numbers in its upper
  // dir. On the host it opens nothing.
  ASSERT_EQ(::mknod((rootfs + "/null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)), 0);
  EXPECT_EQ(::open((rootfs + "/null").c_str(), O_RDWR | O_CLOEXEC), -1);
  EXPECT_EQ(errno, EACCES);
  ASSERT_TRUE(fs::write_file_atomic(rootfs + "/suid", "#!/bin/sh\n", 04755));
  EXPECT_EQ(::access((rootfs + "/suid").c_str(), X_OK), -1) << "noexec";

  if (vfs) {
    ASSERT_TRUE(vfs->stop());
  }
  ASSERT_TRUE(release_shared_dir(shared, /*remove=*/true));
  ASSERT_TRUE(unmount_tree(dir_ + "/lower/sub"));
}

TEST_F(RootTest, BindFileSharesOneFileReadOnlyAndUndoes) {
  std::string source = dir_ + "/lower/hello";
  std::string target = dir_ + "/shared/c1/mounts/0";
  Result<void> m = bind_file(source, target, /*read_only=*/true);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(*fs::read_file(target), "hi\n");
  EXPECT_EQ(::open(target.c_str(), O_WRONLY | O_CLOEXEC), -1) << "read-only";
  EXPECT_EQ(errno, EROFS);
  Result<void> again = bind_file(source, target, false);
  EXPECT_FALSE(again) << "an existing mount point is refused";
  EXPECT_EQ(list_mounts_under(target)->size(), 1u);
  ASSERT_TRUE(unmount_tree(dir_ + "/shared/c1"));
  EXPECT_EQ(*fs::read_file(target), "") << "after the unmount only the empty mount point is left";
  EXPECT_EQ(*fs::read_file(source), "hi\n");
}

TEST_F(RootTest, BindFileRefusesASymlinkedDirectoryAndMissingSources) {
  ASSERT_EQ(::symlink((dir_ + "/upper").c_str(), (dir_ + "/evil").c_str()), 0);
  Result<void> m = bind_file(dir_ + "/lower/hello", dir_ + "/evil/f", false);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("symlink"), std::string::npos) << m.error().message();
  EXPECT_FALSE(fs::exists(dir_ + "/upper/f"));

  Result<void> missing = bind_file(dir_ + "/lower/nope", dir_ + "/shared/m", false);
  ASSERT_FALSE(missing);
  EXPECT_FALSE(fs::exists(dir_ + "/shared/m")) << "the mount point it made is removed";
  EXPECT_TRUE(list_mounts_under(dir_)->empty());
}

TEST_F(RootTest, RealVirtiofsdStartsAndStopsCleanly) {
  if (!fs::exists("/usr/lib/qemu/virtiofsd")) GTEST_SKIP() << "no virtiofsd";
  VirtiofsdConfig c{.shared_dir = dir_ + "/lower",
                    .socket_path = dir_ + "/vfs.sock",
                    .log_path = dir_ + "/vfs.log",
                    .extra_args = {"--thread-pool-size=0", "-o", "announce_submounts"}};
  auto d = Virtiofsd::start(c);
  ASSERT_TRUE(d) << d.error().message();
  pid_t pid = (*d)->pid();
  EXPECT_EQ(::kill(pid, 0), 0);
  EXPECT_TRUE(fs::exists(c.socket_path));
  auto ended = (*d)->stop();
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_FALSE(fs::exists(c.socket_path));
  EXPECT_FALSE(fs::exists("/run/virtiofsd/" + std::string(".") + "tmp"));
}

TEST_F(RootTest, VirtiofsdWithAMissingSourceFailsClearly) {
  if (!fs::exists("/usr/lib/qemu/virtiofsd")) GTEST_SKIP() << "no virtiofsd";
  VirtiofsdConfig c{.shared_dir = dir_ + "/missing",
                    .socket_path = dir_ + "/vfs.sock",
                    .log_path = dir_ + "/vfs.log"};
  auto d = Virtiofsd::start(c);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("exited during start"), std::string::npos)
      << d.error().message();
  EXPECT_FALSE(fs::exists(c.socket_path));
}

}  // namespace
}  // namespace kata::resource
