// The virtio-fs share end to end: virtiofsd + QEMU's vhost-user-fs device on the
// host, the agent's virtio-fs storage in the guest. Every test ends by proving that
// nothing is left: no QEMU or virtiofsd, no socket, no run dir, no mount.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>

#include "common/fs.h"
#include "resource/rootfs.h"
#include "resource/shared_dir.h"
#include "runtime/guest_vm.h"
#include "vm/vm_test_util.h"

namespace kata::runtime {
namespace {

using vm_test::guest_dir;
using vm_test::process_alive;

grpc::Storage shared_storage(const std::string& tag = resource::kSharedFsTag) {
  grpc::Storage s;
  s.set_driver("virtio-fs");
  s.set_source(tag);
  s.set_fstype("virtiofs");
  s.set_mount_point(resource::kGuestSharedDir);
  return s;
}

// A directory the agent makes inside the share: seen on the host, it proves that
// the guest really reached the host directory through virtio-fs.
grpc::Storage dir_in_share(const std::string& name) {
  grpc::Storage s;
  s.set_driver("local");
  s.set_mount_point(std::string(resource::kGuestSharedDir) + name);
  return s;
}

class VirtioFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(guest_dir() + "/kata-initrd.img"))
        << "no guest image in " << guest_dir() << " (set KATA_TEST_GUEST_DIR)";
    char tmpl[] = "/tmp/kata-vfstest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    run_root_ = tmpl;
    config_ = vm_test::tcg_guest_config();
    options_.id = "vfstest-" + std::to_string(::getpid());
    options_.run_root = run_root_;
    options_.shared_dir = resource::sandbox_shared_dir(options_.id, run_root_ + "/shared");
  }

  void TearDown() override {
    vm_test::expect_nothing_left(run_root_, options_.id);  // neither QEMU nor virtiofsd
    EXPECT_FALSE(process_alive(virtiofsd_pid_)) << "virtiofsd pid " << virtiofsd_pid_;
    auto mounts = resource::list_mounts_under(run_root_);
    ASSERT_TRUE(mounts);
    EXPECT_TRUE(mounts->empty()) << "left mounted: " << mounts->front().mount_point;
    EXPECT_FALSE(fs::exists("/run/virtiofsd")) << "virtiofsd left a pid file";
    (void)resource::unmount_tree(run_root_);
    (void)fs::remove_all(run_root_);
  }

  Result<std::unique_ptr<GuestVm>> boot() {
    auto guest = GuestVm::boot(config_, options_);
    if (guest) virtiofsd_pid_ = (*guest)->virtiofsd_pid();
    return guest;
  }

  config::Config config_;
  BootOptions options_;
  std::string run_root_;
  pid_t virtiofsd_pid_ = 0;
};

TEST_F(VirtioFsTest, GuestMountsTheShareAndWritesThroughIt) {
  // A share the caller made (with a file in it) stays, emptied of our mounts.
  ASSERT_TRUE(fs::mkdir_all(options_.shared_dir));
  ASSERT_TRUE(fs::write_file_atomic(options_.shared_dir + "/hello.txt", "hello\n"));
  auto guest = boot();
  ASSERT_TRUE(guest) << guest.error().message();
  GuestVm& g = **guest;
  EXPECT_GT(g.virtiofsd_pid(), 0);
  EXPECT_TRUE(fs::exists(hypervisor::qemu::RunPaths::in(g.run_dir()).virtiofs_socket));
  auto shared_mounts = resource::list_mounts_under(options_.shared_dir);
  ASSERT_TRUE(shared_mounts);
  EXPECT_EQ(shared_mounts->size(), 1u) << "the shared self-bind";

  // A wrong tag first: a clear error, nothing mounted, the agent still serves.
  agent_client::SandboxSpec bad{options_.id, "", {}, {shared_storage("noSuchTag")}};
  Result<void> refused = g.agent().create_sandbox(bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("no virtio-fs device with tag `noSuchTag`"),
            std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(g.agent().check());

  // A container rootfs mounted after virtiofsd started must still reach the guest
  // (mount propagation into virtiofsd's namespace): the guest's mkdir in it has to
  // land in the overlay's upper dir.
  std::string layers = run_root_ + "/layers";
  for (const char* d : {"/lower", "/upper", "/work"}) ASSERT_TRUE(fs::mkdir_all(layers + d));
  Result<void> rootfs =
      resource::mount_rootfs({{"overlay",
                               "overlay",
                               {"lowerdir=" + layers + "/lower", "upperdir=" + layers + "/upper",
                                "workdir=" + layers + "/work"}}},
                             resource::container_rootfs_dir(options_.shared_dir, "c1"));
  ASSERT_TRUE(rootfs) << rootfs.error().message();

  agent_client::SandboxSpec spec{
      options_.id,
      "vfs-host",
      {},
      {shared_storage(), dir_in_share("made-by-guest"), dir_in_share("c1/rootfs/made-in-rootfs")}};
  Result<void> created = g.agent().create_sandbox(spec);
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_TRUE(std::filesystem::is_directory(options_.shared_dir + "/made-by-guest"))
      << "the guest's mkdir did not reach the host directory";
  EXPECT_TRUE(std::filesystem::is_directory(layers + "/upper/made-in-rootfs"))
      << "the rootfs mounted after virtiofsd started is not what the guest sees";

  auto details = g.agent().guest_details();
  ASSERT_TRUE(details) << details.error().message();

  // The rootfs is left mounted on purpose: shutdown unmounts what is under the share.
  Result<void> down = g.shutdown(std::chrono::seconds(30));
  EXPECT_TRUE(down) << down.error().message();
  EXPECT_EQ(*fs::read_file(options_.shared_dir + "/hello.txt"), "hello\n");
  ASSERT_TRUE(fs::remove_all(options_.shared_dir));
}

TEST_F(VirtioFsTest, KilledVirtiofsdStillCleansUp) {
  auto guest = boot();
  ASSERT_TRUE(guest) << guest.error().message();
  GuestVm& g = **guest;
  agent_client::SandboxSpec spec{options_.id, "", {}, {shared_storage()}};
  Result<void> created = g.agent().create_sandbox(spec);
  ASSERT_TRUE(created) << created.error().message();
  ASSERT_EQ(::kill(g.virtiofsd_pid(), SIGKILL), 0);
  // The guest may hang on its share now; shutdown must clean up anyway.
  (void)g.shutdown(std::chrono::seconds(15));
  EXPECT_FALSE(fs::exists(options_.shared_dir)) << "a share GuestVm created is its to remove";
}

TEST_F(VirtioFsTest, Q35GetsThePciDevice) {
  config_.hypervisor.machine_type = config::MachineType::kQ35;
  auto guest = boot();
  ASSERT_TRUE(guest) << guest.error().message();
  agent_client::SandboxSpec spec{options_.id, "", {}, {shared_storage(), dir_in_share("q35")}};
  Result<void> created = (*guest)->agent().create_sandbox(spec);
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_TRUE(std::filesystem::is_directory(options_.shared_dir + "/q35"));
  EXPECT_TRUE((*guest)->shutdown(std::chrono::seconds(30)));
}

TEST_F(VirtioFsTest, DaemonThatCannotStartFailsTheBootAndLeavesNothing) {
  config_.hypervisor.virtio_fs_extra_args = {"--no-such-option"};
  auto guest = boot();
  ASSERT_FALSE(guest);
  EXPECT_NE(guest.error().message().find("virtiofsd exited during start"), std::string::npos)
      << guest.error().message();
  EXPECT_FALSE(fs::exists(options_.shared_dir));
}

TEST_F(VirtioFsTest, SharedFsNoneRefusesAShare) {
  config_.hypervisor.shared_fs = config::SharedFs::kNone;
  auto guest = boot();
  ASSERT_FALSE(guest);
  EXPECT_EQ(guest.error().code(), Code::kFailedPrecondition) << guest.error().message();
}

}  // namespace
}  // namespace kata::runtime
