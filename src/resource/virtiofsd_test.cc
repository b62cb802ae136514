#include "resource/virtiofsd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"
#include "common/testing/temp_dir.h"

namespace kata::resource {
namespace {

using ::testing::ElementsAreArray;

TEST(VirtiofsdArgv, FdSourceCacheAndExtraArgs) {
  VirtiofsdConfig c{.daemon = "/usr/lib/qemu/virtiofsd",
                    .shared_dir = "/run/kata-containers/shared/sandboxes/s1",
                    .socket_path = "/run/kata-containers/s1/virtiofsd.sock",
                    .cache = "never",
                    .extra_args = {"--thread-pool-size=1", "-o", "announce_submounts"}};
  auto argv = virtiofsd_argv(c);
  ASSERT_TRUE(argv) << argv.error().message();
  EXPECT_THAT(*argv, ElementsAreArray<std::string>(
                         {"/usr/lib/qemu/virtiofsd", "--fd=0", "-o",
                          "source=/run/kata-containers/shared/sandboxes/s1", "-o", "cache=none",
                          "--thread-pool-size=1", "-o", "announce_submounts"}));
}

TEST(VirtiofsdArgv, RefusesWhatItCannotQuote) {
  VirtiofsdConfig c{.shared_dir = "/a,b"};
  EXPECT_FALSE(virtiofsd_argv(c));
  c.shared_dir = "relative";
  EXPECT_FALSE(virtiofsd_argv(c));
  c.shared_dir = "/ok";
  c.cache = "metadata";
  auto bad = virtiofsd_argv(c);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("cache `metadata`"), std::string::npos);
}

// A daemon that dies at start: its own words come back and nothing is left behind.
TEST(Virtiofsd, DeathAtStartCarriesItsOutput) {
  kata::testing::TempDir tmp;
  const std::string& dir = tmp.path();
  ASSERT_TRUE(fs::write_file_atomic(
      dir + "/fake-virtiofsd", "#!/bin/sh\necho \"fake: cannot share $3\" >&2\nexit 3\n", 0755));
  VirtiofsdConfig c{.daemon = dir + "/fake-virtiofsd",
                    .shared_dir = dir,
                    .socket_path = dir + "/v.sock",
                    .log_path = dir + "/v.log"};
  auto d = Virtiofsd::start(c);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("exited during start (exit status 3)"), std::string::npos)
      << d.error().message();
  EXPECT_NE(d.error().message().find("fake: cannot share source="), std::string::npos)
      << d.error().message();
  EXPECT_FALSE(fs::exists(dir + "/v.sock"));
}

}  // namespace
}  // namespace kata::resource
