#include "runtime/sandbox_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"

namespace kata::runtime {
namespace {

SandboxState sample(const std::string& run_dir) {
  SandboxState s;
  s.id = "abc";
  s.status = SandboxStatus::kRunning;
  s.run_dir = run_dir;
  s.shared_dir = "/run/kata-containers/shared/sandboxes/abc";
  s.service = {100, 5000};
  s.qemu = {102, 5010};
  s.virtiofsd = {101, 5005};
  return s;
}

void expect_same(const SandboxState& a, const SandboxState& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.run_dir, b.run_dir);
  EXPECT_EQ(a.shared_dir, b.shared_dir);
  EXPECT_EQ(a.service, b.service);
  EXPECT_EQ(a.qemu, b.qemu);
  EXPECT_EQ(a.virtiofsd, b.virtiofsd);
}

TEST(SandboxStateTest, WrittenStateReadsBackTheSame) {
  char tmpl[] = "/tmp/kata-state-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  SandboxState s = sample(dir);
  ASSERT_TRUE(write_sandbox_state(s));
  s.status = SandboxStatus::kBooting;
  s.qemu = {};                          // a process not started (or gone) is left out
  ASSERT_TRUE(write_sandbox_state(s));  // replaces the first
  auto read = read_sandbox_state(dir);
  ASSERT_TRUE(read) << read.error().message();
  expect_same(*read, s);
  EXPECT_TRUE(read->qemu.empty());
  ASSERT_TRUE(fs::remove_all(dir));
}

TEST(SandboxStateTest, NoStateIsNotFound) {
  auto read = read_sandbox_state("/nonexistent-kata-run-dir");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Code::kNotFound);
}

TEST(SandboxStateTest, MalformedStateNamesTheField) {
  std::string good = to_json(sample("/run/kata-containers/abc"));
  ASSERT_TRUE(sandbox_state_from_json(good));
  struct Case {
    std::string text, field;
  };
  std::vector<Case> cases = {
      {"{", "not valid JSON"},
      {"[]", "`.`"},
      {R"({"version":2})", "`version`"},
      {R"({"version":1,"id":3,"status":"running","run_dir":"/r","shared_dir":""})", "`id`"},
      {R"({"version":1,"id":"a","status":"odd","run_dir":"/r","shared_dir":""})", "`status`"},
      {R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"",
          "processes":{"qemu":{"pid":"12","start_time":1}}})",
       "`processes.qemu`"},
      {R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"",
          "processes":{"qemu":{"pid":-1,"start_time":1}}})",
       "`processes.qemu.pid`"},
      {R"({"version":1,"id":"a","status":"running","run_dir":"/r","shared_dir":"",
          "processes":{"virtiofsd":{"pid":5}}})",
       "`processes.virtiofsd`"},
  };
  for (const Case& c : cases) {
    auto parsed = sandbox_state_from_json(c.text);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(c.field), std::string::npos)
        << parsed.error().message();
  }
}

}  // namespace
}  // namespace kata::runtime
