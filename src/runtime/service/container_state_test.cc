#include "runtime/service/container_state.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "ttrpc/testing/test_util.h"

namespace kata::runtime::service {
namespace {

using ::kata::ttrpc::testing::TempDir;

ContainerState sample() {
  ContainerState s;
  s.id = "c1";
  s.sandbox_id = "pod";
  s.bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1";
  s.status = ContainerStatus::kStopped;
  s.pid = 4242;
  s.exit_status = 137;
  s.created_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  return s;
}

TEST(ContainerStateTest, RoundTripsThroughTheRunDir) {
  TempDir dir;
  ASSERT_TRUE(write_container_state(dir.path(), sample()));
  EXPECT_TRUE(fs::exists(dir.path() + "/containers/c1.json"));
  Result<ContainerState> read = read_container_state(dir.path(), "c1");
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->id, "c1");
  EXPECT_EQ(read->sandbox_id, "pod");
  EXPECT_EQ(read->bundle, sample().bundle);
  EXPECT_EQ(read->status, ContainerStatus::kStopped);
  EXPECT_EQ(read->pid, 4242u);
  EXPECT_EQ(read->exit_status, 137u);
  EXPECT_EQ(read->created_at, sample().created_at);

  ASSERT_TRUE(remove_container_state(dir.path(), "c1"));
  EXPECT_EQ(read_container_state(dir.path(), "c1").error().code(), Code::kNotFound);
  EXPECT_TRUE(remove_container_state(dir.path(), "c1"));  // already gone is fine
}

TEST(ContainerStateTest, HostileIdsNameNoFile) {
  TempDir dir;
  ContainerState s = sample();
  s.id = "../../etc/x";
  EXPECT_FALSE(write_container_state(dir.path(), s));
  EXPECT_FALSE(fs::exists(dir.path() + "/containers"));
  EXPECT_EQ(read_container_state(dir.path(), "../x").error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(remove_container_state(dir.path(), "a/b"));
}

TEST(ContainerStateTest, BadFilesNameTheField) {
  for (auto [text, field] : std::initializer_list<std::pair<const char*, const char*>>{
           {"[]", "`.`"},
           {R"({"version":2})", "`version`"},
           {R"({"version":1,"id":"c","sandbox_id":"p","bundle":"/b","status":"gone",)"
            R"("pid":1,"exit_status":0,"created_ns":0})",
            "`status`"},
           {R"({"version":1,"id":"c","sandbox_id":"p","bundle":"/b","status":"running",)"
            R"("pid":-1,"exit_status":0,"created_ns":0})",
            "`pid`"},
           {R"({"version":1,"id":"c","sandbox_id":"p","bundle":"/b","status":"running",)"
            R"("pid":1,"exit_status":0})",
            "`created_ns`"},
           {"{", "not valid JSON"},
       }) {
    Result<ContainerState> parsed = container_state_from_json(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(field), std::string::npos)
        << text << ": " << parsed.error().message();
  }
}

}  // namespace
}  // namespace kata::runtime::service
