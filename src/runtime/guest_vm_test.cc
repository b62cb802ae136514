#include "runtime/guest_vm.h"

#include <gtest/gtest.h>

#include "common/fs.h"

namespace kata::runtime {
namespace {

TEST(ValidateIdTest, AcceptsContainerStyleIds) {
  const std::vector<std::string> ids = {"abc", "0123456789abcdef", "pod-1_a.b",
                                        std::string(64, 'x')};
  for (const std::string& id : ids) {
    EXPECT_TRUE(validate_id(id)) << id;
  }
}

TEST(ValidateIdTest, RejectsHostileIds) {
  const std::vector<std::string> ids = {"",    "..", ".hidden",           "a/b", "../../etc", "a b",
                                        "x\n", "ä",  std::string(65, 'x')};
  for (const std::string& id : ids) {
    Result<void> r = validate_id(id);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  }
}

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
