#include "common/strings.h"

#include <gtest/gtest.h>

namespace kata {
namespace {

TEST(StringsTest, SplitSkipsEmptyByDefault) {
  EXPECT_EQ(split("a,,b,", ','), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("a,,b", ',', false), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(split("", ',').empty());
}

TEST(StringsTest, SplitQuotedGroupsQuotedBlanks) {
  EXPECT_EQ(split_quoted("  a b=\"c d\"\te\n"), (std::vector<std::string>{"a", "b=c d", "e"}));
  EXPECT_EQ(split_quoted("x \"\""), (std::vector<std::string>{"x", ""}));
  EXPECT_TRUE(split_quoted(" \t\n").empty());
  // Only with backslash_escapes, and only inside quotes.
  EXPECT_EQ(split_quoted(R"(-m comment --comment "say \"hi\"" a\b)", true),
            (std::vector<std::string>{"-m", "comment", "--comment", "say \"hi\"", "a\\b"}));
  EXPECT_EQ(split_quoted(R"("a\"b")"), (std::vector<std::string>{"a\\b"}));
}

TEST(StringsTest, TrimAndPrefix) {
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_EQ(trim("   "), "");
  EXPECT_TRUE(starts_with("agent.log=debug", "agent.log="));
  EXPECT_FALSE(starts_with("agent", "agent.log="));
}

TEST(StringsTest, OneLine) {
  struct Case {
    const char* name;
    std::string text;
    size_t max_lines;
    std::string want;
  };
  constexpr size_t kAll = std::numeric_limits<size_t>::max();
  const Case cases[] = {
      {"joins trimmed lines", "  a \nb\t\n", kAll, "a; b"},
      {"drops blank lines", "a\n\n   \r\nb", kAll, "a; b"},
      {"one line stays", "only", kAll, "only"},
      {"empty", "", kAll, "(no output)"},
      {"blank only", " \n\t\n", kAll, "(no output)"},
      {"keeps the last lines", "1\n2\n3\n4\n", 2, "3; 4"},
      {"fewer lines than the limit", "1\n2", 5, "1; 2"},
      {"blank last lines count", "1\n2\n \n", 2, "2"},
      {"zero lines", "1\n2", 0, "(no output)"},
  };
  for (const Case& c : cases) EXPECT_EQ(one_line(c.text, c.max_lines), c.want) << c.name;
}

}  // namespace
}  // namespace kata
