#include "agent/agent.h"

#include <gtest/gtest.h>

namespace kata::agent {
namespace {

TEST(ParseUptime, Values) {
  EXPECT_DOUBLE_EQ(*parse_uptime("1.42 0.95\n"), 1.42);
  EXPECT_DOUBLE_EQ(*parse_uptime("12345.00"), 12345.0);
  EXPECT_FALSE(parse_uptime("").has_value());
  EXPECT_FALSE(parse_uptime("abc 1").has_value());
}

}  // namespace
}  // namespace kata::agent
