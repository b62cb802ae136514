#include "common/fs.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

namespace kata::fs {
namespace {

TEST(FsTest, WriteFileAtomicReplacesAndLeavesNoTemporary) {
  char tmpl[] = "/tmp/kata-fs-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl, path = dir + "/state.json";
  ASSERT_TRUE(write_file_atomic(path, "one", 0600));
  ASSERT_TRUE(write_file_atomic(path, "two"));
  EXPECT_EQ(*read_file(path), "two");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) entries += e.exists();
  EXPECT_EQ(entries, 1) << "a temporary file was left behind";

  Result<void> bad = write_file_atomic(dir + "/missing/x", "y");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kNotFound);
  EXPECT_TRUE(remove_all(dir));
  EXPECT_FALSE(exists(dir));
  EXPECT_TRUE(remove_all(dir)) << "removing what is gone is not an error";
}

}  // namespace
}  // namespace kata::fs
