#include "runtime/guest_vm.h"

#include <gtest/gtest.h>

#include "common/fs.h"

namespace kata::runtime {
namespace {

TEST(GuestVmTest, HostileIdChangesNothing) {
  config::Config c;
  BootOptions o;
  o.id = "../escape";
  o.run_root = ::testing::TempDir() + "/kata-runtime-test-root";
  auto vm = GuestVm::boot(c, o);
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().code(), Code::kInvalidArgument);
  EXPECT_NE(vm.error().message().find("invalid id"), std::string::npos);
  EXPECT_FALSE(fs::exists(o.run_root));
}

}  // namespace
}  // namespace kata::runtime
