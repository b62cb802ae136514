#include "hypervisor/qemu/console_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.h"

namespace kata::hypervisor::qemu {
namespace {

class CappedLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kata-console-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/console.log";
  }
  void TearDown() override { (void)fs::remove_all(dir_); }
  uint64_t on_disk() const {
    uint64_t total = 0;
    for (const std::string& p : {path_, path_ + ".1"}) {
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0) total += st.st_size;
    }
    return total;
  }
  std::string dir_, path_;
};

TEST_F(CappedLogTest, NeverHoldsMoreThanTheCapAndKeepsTheEnd) {
  constexpr uint64_t kCap = 8192;
  auto log = CappedLog::create(path_, kCap);
  ASSERT_TRUE(log) << log.error().message();
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(log->append("line " + std::to_string(i) + "\n"));
    ASSERT_LE(on_disk(), kCap) << "after line " << i;
  }
  EXPECT_GT(on_disk(), kCap / 2);
  // The tail spans the rotation: lines cut in two at it are joined again.
  std::string tail = console_log_tail(path_, 400);
  EXPECT_EQ(tail.substr(tail.rfind('\n') + 1), "line 4999");
  size_t lines = std::count(tail.begin(), tail.end(), '\n') + 1;
  EXPECT_EQ(lines, 400u);
  for (size_t at = 0, i = 4600; at < tail.size(); ++i) {
    size_t end = tail.find('\n', at);
    ASSERT_EQ(tail.substr(at, end - at), "line " + std::to_string(i));
    at = end == std::string::npos ? tail.size() : end + 1;
  }
}

TEST_F(CappedLogTest, AChunkBiggerThanTheCapKeepsItsEnd) {
  auto log = CappedLog::create(path_, 8192);
  ASSERT_TRUE(log);
  std::string big(100000, 'x');
  big += "\nlast\n";
  ASSERT_TRUE(log->append(big));
  EXPECT_LE(on_disk(), 8192u);
  EXPECT_EQ(console_log_tail(path_, 1), "last");
}

TEST_F(CappedLogTest, TruncatesInPlaceSoThatReadersKeepFollowing) {
  auto log = CappedLog::create(path_, 8192);
  ASSERT_TRUE(log);
  struct stat before {};
  ASSERT_EQ(::stat(path_.c_str(), &before), 0);
  ASSERT_TRUE(log->append(std::string(10000, 'y')));
  struct stat after {};
  ASSERT_EQ(::stat(path_.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "`tail -f` follows the same file";
  EXPECT_TRUE(fs::exists(path_ + ".1"));
}

TEST_F(CappedLogTest, TooSmallACapAndALeftoverRotationAreHandled) {
  EXPECT_FALSE(CappedLog::create(path_, 100));
  ASSERT_TRUE(fs::write_file_atomic(path_ + ".1", "old run\n"));
  ASSERT_TRUE(CappedLog::create(path_, 8192));
  EXPECT_FALSE(fs::exists(path_ + ".1"));
  EXPECT_EQ(console_log_tail(dir_ + "/missing", 3), "");
}

TEST_F(CappedLogTest, RelayCopiesAPipeUntilItsWriterCloses) {
  auto log = CappedLog::create(path_, 8192);
  ASSERT_TRUE(log);
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  UniqueFd out(ends[1]);
  auto relay = ConsoleRelay::start(UniqueFd(ends[0]), std::move(*log));
  ASSERT_TRUE(relay) << relay.error().message();
  for (int i = 0; i < 2000; ++i) {
    std::string line = "flood " + std::to_string(i) + "\n";
    ASSERT_EQ(::write(out.get(), line.data(), line.size()), static_cast<ssize_t>(line.size()));
  }
  out.reset();
  (*relay)->stop();
  EXPECT_LE(on_disk(), 8192u);
  EXPECT_EQ(console_log_tail(path_, 1), "flood 1999");
}

}  // namespace
}  // namespace kata::hypervisor::qemu
