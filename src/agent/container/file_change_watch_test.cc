#include "agent/container/file_change_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>

#include "common/testing/temp_dir.h"

namespace kata::agent::container {
namespace {

TEST(FileChangeWatch, CallsBackWhenAWatchedFileChanges) {
  std::mutex mu;
  std::condition_variable cv;
  int changes = 0;
  auto watch = FileChangeWatch::start([&] {
    std::lock_guard lock(mu);
    ++changes;
    cv.notify_all();
  });
  ASSERT_TRUE(watch) << watch.error().message();
  kata::testing::TempDir dir;
  std::string file = dir.path() + "/memory.events";
  std::ofstream(file) << "oom_kill 0\n";
  ASSERT_TRUE((*watch)->add(file));
  EXPECT_FALSE((*watch)->add(dir.path() + "/missing"));

  std::ofstream(file, std::ios::app) << "oom_kill 1\n";
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return changes > 0; }));
}

TEST(FileChangeWatch, StopsWithNothingWatched) {
  auto watch = FileChangeWatch::start([] {});
  ASSERT_TRUE(watch) << watch.error().message();
  watch->reset();  // joins its thread: the test would hang if it did not stop
}

}  // namespace
}  // namespace kata::agent::container
