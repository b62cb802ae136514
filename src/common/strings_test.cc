#include "common/strings.h"

#include <gtest/gtest.h>

namespace kata {
namespace {

TEST(StringsTest, SplitSkipsEmptyByDefault) {
  EXPECT_EQ(split("a,,b,", ','), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("a,,b", ',', false), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(split("", ',').empty());
}

TEST(StringsTest, TrimAndPrefix) {
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_EQ(trim("   "), "");
  EXPECT_TRUE(starts_with("agent.log=debug", "agent.log="));
  EXPECT_FALSE(starts_with("agent", "agent.log="));
}

}  // namespace
}  // namespace kata
