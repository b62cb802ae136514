#include "agent/storage/storage.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include "agent/sandbox.h"
#include "agent/testing/fake_guest_os.h"

namespace kata::agent {
namespace {

using testing::FakeGuestOs;

StorageSpec shared_fs(std::string tag = "kataShared") {
  return StorageSpec{.driver = "virtio-fs",
                     .source = std::move(tag),
                     .fstype = "virtiofs",
                     .mount_point = "/run/kata-containers/shared/containers/"};
}

TEST(Storage, VirtioFsLoadsTheModuleThenMounts) {
  FakeGuestOs os;
  auto mounted = add_storages({shared_fs()}, StorageRegistry::builtin(), os);
  ASSERT_TRUE(mounted) << mounted.error().message();
  EXPECT_EQ(*mounted, std::vector<std::string>{"/run/kata-containers/shared/containers"});
  ASSERT_EQ(os.loaded_modules.size(), 1u);
  EXPECT_EQ(os.loaded_modules[0].first, "virtiofs");
  ASSERT_EQ(os.made_dirs.size(), 1u);
  EXPECT_EQ(os.made_dirs[0].first, "/run/kata-containers/shared/containers");
  ASSERT_EQ(os.mounts.size(), 1u);
  EXPECT_EQ(os.mounts[0].source, "kataShared");
  EXPECT_EQ(os.mounts[0].fstype, "virtiofs");
  EXPECT_EQ(os.mounts[0].flags, 0u);
}

TEST(Storage, EphemeralIsATmpfsWithItsOptions) {
  FakeGuestOs os;
  StorageSpec s{.driver = "ephemeral",
                .source = "ignored",
                .fstype = "tmpfs",
                .options = {"nodev", "size=64m"},
                .mount_point = "/run/kata-containers/sandbox/ephemeral/vol1"};
  ASSERT_TRUE(add_storages({s}, StorageRegistry::builtin(), os));
  ASSERT_EQ(os.mounts.size(), 1u);
  EXPECT_EQ(os.mounts[0].source, "tmpfs");
  EXPECT_EQ(os.mounts[0].flags, static_cast<unsigned long>(MS_NODEV));
  EXPECT_EQ(os.mounts[0].data, "size=64m");
}

TEST(Storage, LocalOnlyMakesADirectory) {
  FakeGuestOs os;
  StorageSpec s{.driver = "local", .options = {"mode=0750"}, .mount_point = "/run/local/v"};
  auto r = add_storages({s}, StorageRegistry::builtin(), os);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->empty());
  EXPECT_TRUE(os.mounts.empty());
  ASSERT_EQ(os.made_dirs.size(), 1u);
  EXPECT_EQ(os.made_dirs[0].second, 0750);
  s.options = {"mode=rwx"};
  EXPECT_FALSE(add_storages({s}, StorageRegistry::builtin(), os));
}

TEST(Storage, AFailureUnmountsWhatWasMountedAndNamesTheStorage) {
  struct Case {
    const char* name;
    StorageSpec bad;
    const char* want;
  } cases[] = {
      {"unknown driver", {.driver = "nvdimm", .mount_point = "/x"}, "unknown driver `nvdimm`"},
      {"wrong tag", shared_fs("wrongTag"), "(no virtio-fs device with tag `wrongTag`?)"},
      {"relative point",
       {.driver = "ephemeral", .mount_point = "run/x"},
       "mount point `run/x`: not an absolute path"},
      {"dotdot point",
       {.driver = "ephemeral", .mount_point = "/run/../etc"},
       "'.' or '..' component"},
      {"root point", {.driver = "ephemeral", .mount_point = "/"}, "not allowed"},
      {"option trick",
       {.driver = "ephemeral", .options = {"size=1m,nosuid"}, .mount_point = "/e"},
       "one option per element"},
      {"bind", {.driver = "ephemeral", .options = {"rbind"}, .mount_point = "/e"}, "bind"},
      {"fstype",
       {.driver = "virtio-fs", .source = "t", .fstype = "ext4", .mount_point = "/v"},
       "expected virtiofs"},
      {"long tag", shared_fs(std::string(37, 't')), "1 to 36 bytes"},
  };
  for (const Case& c : cases) {
    FakeGuestOs os;
    os.fail_mount_target = "/run/kata-containers/shared/containers2";
    StorageSpec first = shared_fs();
    StorageSpec bad = c.bad;
    if (std::string(c.name) == "wrong tag") bad.mount_point = os.fail_mount_target;
    auto r = add_storages({first, bad}, StorageRegistry::builtin(), os);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos)
        << c.name << ": " << r.error().message();
    EXPECT_EQ(r.error().message().rfind("storage ", 0), 0u) << r.error().message();
    EXPECT_TRUE(os.mounts.empty()) << c.name << ": left mounted";
    EXPECT_EQ(os.unmounted, std::vector<std::string>{"/run/kata-containers/shared/containers"})
        << c.name;
  }
}

TEST(Storage, SandboxCreateMountsAndAFailedOneCanBeRetried) {
  FakeGuestOs os;
  Sandbox sb(os);
  SandboxSpec spec{.id = "sb1", .storages = {shared_fs()}};
  os.fail_mount_target = "/run/kata-containers/shared/containers";
  auto failed = sb.create(spec);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message().rfind("create sandbox sb1: storage virtio-fs", 0), 0u)
      << failed.error().message();
  EXPECT_FALSE(sb.id());
  os.fail_mount_target.clear();
  ASSERT_TRUE(sb.create(spec));
  EXPECT_EQ(sb.storage_mounts(),
            std::vector<std::string>{"/run/kata-containers/shared/containers"});
}

}  // namespace
}  // namespace kata::agent
