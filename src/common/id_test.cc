#include "common/id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kata {
namespace {

TEST(ValidateIdTest, AcceptsContainerStyleIds) {
  const std::vector<std::string> ids = {"abc", "0123456789abcdef", "pod-1_a.b", "a..b",
                                        std::string(kMaxIdLength, 'x')};
  for (const std::string& id : ids) EXPECT_TRUE(validate_id(id)) << id;
}

TEST(ValidateIdTest, RejectsHostileIds) {
  const std::vector<std::string> ids = {"",
                                        "..",
                                        ".",
                                        ".hidden",
                                        "a/b",
                                        "../../etc",
                                        "a b",
                                        "x\n",
                                        "ä",
                                        std::string("a\0b", 3),
                                        std::string(kMaxIdLength + 1, 'x')};
  for (const std::string& id : ids) {
    Result<void> r = validate_id(id);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.error().message().rfind("invalid id `", 0), 0u) << r.error().message();
  }
}

TEST(ValidateIdTest, SaysWhatIsWrong) {
  EXPECT_EQ(validate_id("a/b").error().message(),
            "invalid id `a/b`: only letters, digits, '-', '_' and '.' are allowed");
  EXPECT_EQ(validate_id(".x").error().message(), "invalid id `.x`: starts with '.'");
  EXPECT_EQ(validate_id(std::string(65, 'x')).error().message(),
            "invalid id `" + std::string(65, 'x') + "`: longer than 64 characters");
}

}  // namespace
}  // namespace kata
