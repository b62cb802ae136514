#include "agent/sandbox.h"

#include <gtest/gtest.h>

#include "agent/testing/fake_guest_os.h"
#include "agent/testing/fake_sandbox_scope.h"

namespace kata::agent {
namespace {

using testing::FakeGuestOs;
using testing::FakeSandboxScope;

TEST(ParseHex, Values) {
  EXPECT_EQ(*parse_hex_u64("8000000\n"), 0x8000000u);
  EXPECT_EQ(*parse_hex_u64("0x10"), 16u);
  EXPECT_EQ(*parse_hex_u64("ffffffffffffffff"), ~0ull);
  EXPECT_FALSE(parse_hex_u64("").ok());
  EXPECT_FALSE(parse_hex_u64("12g").ok());
  EXPECT_FALSE(parse_hex_u64("1ffffffffffffffff").ok());  // over 64 bits
}

TEST(Sandbox, CreateSetsHostnameDnsAndModules) {
  FakeGuestOs os;
  Sandbox sb(os);
  SandboxSpec spec{"sb1",
                   "pod-a",
                   {"nameserver 10.0.0.1", "search example.org"},
                   {{"dummy", {"numdummies=2", "x=y"}}}};
  ASSERT_TRUE(sb.create(spec).ok());
  EXPECT_EQ(os.hostname, "pod-a");
  EXPECT_EQ(os.files["/etc/resolv.conf"], "nameserver 10.0.0.1\nsearch example.org\n");
  ASSERT_EQ(os.loaded_modules.size(), 1u);
  EXPECT_EQ(os.loaded_modules[0],
            std::make_pair(std::string("dummy"), std::string("numdummies=2 x=y")));
  EXPECT_EQ(sb.id(), "sb1");
}

TEST(Sandbox, EmptyHostnameAndDnsTouchNothing) {
  FakeGuestOs os;
  Sandbox sb(os);
  ASSERT_TRUE(sb.create({"sb1", "", {}, {}}).ok());
  EXPECT_FALSE(os.hostname.has_value());
  EXPECT_TRUE(os.files.empty());
}

TEST(Sandbox, SecondCreateIsAlreadyExists) {
  FakeGuestOs os;
  Sandbox sb(os);
  ASSERT_TRUE(sb.create({"sb1", "a", {}, {}}).ok());
  Result<void> again = sb.create({"sb2", "b", {}, {}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(os.hostname, "a");
  EXPECT_EQ(sb.id(), "sb1");
}

TEST(Sandbox, FailedCreateCanBeRetried) {
  FakeGuestOs os;
  os.fail_set_hostname = true;
  Sandbox sb(os);
  Result<void> r = sb.create({"sb1", "a", {}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kPermissionDenied);
  EXPECT_NE(r.error().message().find("create sandbox sb1"), std::string::npos);
  EXPECT_FALSE(sb.id().has_value());
  os.fail_set_hostname = false;
  EXPECT_TRUE(sb.create({"sb1", "a", {}, {}}).ok());
}

TEST(Sandbox, DestroyPowersOffLater) {
  FakeGuestOs os;
  Sandbox sb(os);
  EXPECT_TRUE(sb.destroy().ok());
  EXPECT_EQ(os.power_off_calls, 1);
}

TEST(Sandbox, CreateOpensTheScopeAndDestroyClosesIt) {
  FakeGuestOs os;
  FakeSandboxScope scope;
  Sandbox sb(os, &scope);
  EXPECT_TRUE(sb.destroy().ok());
  EXPECT_EQ(scope.close_calls, 0) << "nothing was opened";
  ASSERT_TRUE(sb.create({"sb1", "pod-host", {}, {}}).ok());
  EXPECT_EQ(scope.opened, (std::vector<std::pair<std::string, std::string>>{{"sb1", "pod-host"}}));
  EXPECT_EQ(scope.close_calls, 0);
  EXPECT_TRUE(sb.destroy().ok());
  EXPECT_EQ(scope.close_calls, 1);
}

TEST(Sandbox, FailedScopeFailsCreateAndCanBeRetried) {
  FakeGuestOs os;
  FakeSandboxScope scope;
  scope.open_error = Error(Code::kInternal, "unshare: fake failure");
  Sandbox sb(os, &scope);
  Result<void> r = sb.create({"sb1", "a", {}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "create sandbox sb1: unshare: fake failure");
  EXPECT_FALSE(sb.id().has_value());
  scope.open_error.reset();
  EXPECT_TRUE(sb.create({"sb1", "a", {}, {}}).ok());
  EXPECT_EQ(scope.opened.size(), 1u);
}

TEST(Sandbox, FailedStorageClosesTheScope) {
  FakeGuestOs os;
  FakeSandboxScope scope;
  Sandbox sb(os, &scope);
  SandboxSpec spec{.id = "sb1", .storages = {{.driver = "no-such-driver", .mount_point = "/x"}}};
  ASSERT_FALSE(sb.create(spec).ok());
  EXPECT_EQ(scope.opened.size(), 1u);
  EXPECT_EQ(scope.close_calls, 1) << "the sandbox's namespaces must not outlive a failed create";
  EXPECT_FALSE(sb.id().has_value());
}

TEST(Sandbox, ContainerStoragesAreMountedOnceForThePod) {
  FakeGuestOs os;
  Sandbox sb(os);
  StorageSpec shm{.driver = "ephemeral",
                  .source = "tmpfs",
                  .fstype = "tmpfs",
                  .options = {"size=67108864", "mode=1777"},
                  .mount_point = "/run/kata-containers/sandbox/shm"};
  EXPECT_EQ(sb.add_container_storages({shm}).error().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(sb.create({"sb1", "pod", {}, {}}).ok());
  ASSERT_TRUE(sb.add_container_storages({shm}).ok());
  ASSERT_EQ(os.mounts.size(), 1u);
  EXPECT_EQ(os.mounts[0].target, shm.mount_point);
  EXPECT_EQ(os.mounts[0].fstype, "tmpfs");
  // The pod's next container shares it.
  ASSERT_TRUE(sb.add_container_storages({shm}).ok());
  EXPECT_EQ(os.mounts.size(), 1u);
  EXPECT_EQ(sb.storage_mounts(), std::vector<std::string>{shm.mount_point});
}

TEST(Sandbox, ContainerStoragesStayInTheSandboxDir) {
  FakeGuestOs os;
  Sandbox sb(os);
  ASSERT_TRUE(sb.create({"sb1", "pod", {}, {}}).ok());
  StorageSpec outside{.driver = "ephemeral", .fstype = "tmpfs", .mount_point = "/etc"};
  StorageSpec namespaces{.driver = "ephemeral",
                         .fstype = "tmpfs",
                         .mount_point = "/run/kata-containers/sandbox/ns/ipc"};
  StorageSpec share{.driver = "virtio-fs",
                    .source = "kataShared",
                    .mount_point = "/run/kata-containers/sandbox/x"};
  EXPECT_EQ(sb.add_container_storages({outside}).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(sb.add_container_storages({namespaces}).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(sb.add_container_storages({share}).error().code(), Code::kUnimplemented);
  EXPECT_TRUE(os.mounts.empty());
}

TEST(Sandbox, SetTimeChecksMicroseconds) {
  FakeGuestOs os;
  Sandbox sb(os);
  EXPECT_TRUE(sb.set_time(1700000000, 5).ok());
  EXPECT_EQ(os.time, std::make_pair(int64_t{1700000000}, int64_t{5}));
  EXPECT_EQ(sb.set_time(1, 1000000).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(sb.set_time(1, -1).error().code(), Code::kInvalidArgument);
}

TEST(Sandbox, GuestDetails) {
  FakeGuestOs os;
  Sandbox sb(os);
  auto none = sb.guest_details(true, true);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->mem_block_size_bytes, 0u);
  EXPECT_FALSE(none->mem_hotplug_probe);
  EXPECT_EQ(none->kernel_release, "");

  os.files["/sys/devices/system/memory/block_size_bytes"] = "8000000\n";
  os.files["/sys/devices/system/memory/probe"] = "";
  os.files["/proc/sys/kernel/osrelease"] = "6.1.0-56-cloud-amd64\n";
  os.files["/proc/sys/kernel/version"] = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1\n";
  auto d = sb.guest_details(true, true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kernel_release, "6.1.0-56-cloud-amd64");
  EXPECT_EQ(d->kernel_version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1");
  EXPECT_EQ(d->mem_block_size_bytes, 128u << 20);
  EXPECT_TRUE(d->mem_hotplug_probe);

  auto not_asked = sb.guest_details(false, false);
  EXPECT_EQ(not_asked->mem_block_size_bytes, 0u);
  EXPECT_FALSE(not_asked->mem_hotplug_probe);

  os.files["/sys/devices/system/memory/block_size_bytes"] = "junk";
  EXPECT_EQ(sb.guest_details(true, false).error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace kata::agent
