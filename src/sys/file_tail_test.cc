#include "sys/file_tail.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace kata::sys {
namespace {

TEST(FileTailTest, LastLines) {
  struct Case {
    std::string text;
    size_t n;
    std::string want;
  } cases[] = {
      {"a\nb\nc\n", 2, "b\nc"},
      {"a\nb\nc", 2, "b\nc"},
      {"a\nb\nc\n", 10, "a\nb\nc"},
      {"a\nb\nc\n", 0, ""},
      {"", 3, ""},
      {"\n\n", 3, ""},
      {"only", 1, "only"},
  };
  for (const Case& c : cases) EXPECT_EQ(last_lines(c.text, c.n), c.want) << c.text;
}

TEST(FileTailTest, ReadsOnlyTheEndOfAFile) {
  char tmpl[] = "/tmp/kata-tail-test-XXXXXX";
  UniqueFd fd(::mkstemp(tmpl));
  ASSERT_TRUE(fd);
  std::string path = tmpl;
  std::string content;
  for (int i = 0; i < 1000; ++i) content += "line " + std::to_string(i) + "\n";
  ASSERT_TRUE(fs::write_file_atomic(path, content));
  auto tail = read_tail(path, 2, 20);
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, "line 998\nline 999");
  auto missing = read_tail(path + ".missing", 2);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "open `" + path + ".missing`: No such file or directory");
  (void)fs::remove_all(path);
}

}  // namespace
}  // namespace kata::sys
