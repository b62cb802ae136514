// kata-runtime as a user meets it: exit codes, one clear error line, output.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "sys/subprocess.h"

namespace kata {
namespace {

class KataRuntimeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kata-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)fs::remove_all(dir_); }

  sys::CapturedOutput run(std::vector<std::string> args) {
    sys::SpawnOptions o;
    o.argv = {KATA_RUNTIME_BIN};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = {{"KATA_CONF_FILE", ""}};
    auto out = sys::run_capture(o, std::chrono::seconds(30));
    EXPECT_TRUE(out) << out.error().message();
    return out ? *out : sys::CapturedOutput{};
  }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(fs::write_file_atomic(path, text));
    return path;
  }

  static int lines(const std::string& s) {
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  }

  std::string dir_;
};

TEST_F(KataRuntimeCliTest, EnvPrintsTheResolvedConfiguration) {
  std::string cfg =
      write("c.toml", "[hypervisor.qemu]\nmachine_type = \"q35\"\ndefault_memory = 1024\n");
  auto toml = run({"--config", cfg, "env"});
  EXPECT_EQ(toml.status.code, 0) << toml.err;
  EXPECT_NE(toml.out.find(cfg), std::string::npos);
  EXPECT_NE(toml.out.find("q35"), std::string::npos);

  auto json = run({"--config", cfg, "env", "--json"});
  ASSERT_EQ(json.status.code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out;
  EXPECT_EQ(j["config_path"], cfg);
  EXPECT_EQ(j["hypervisor"]["qemu"]["machine_type"], "q35");
  EXPECT_EQ(j["hypervisor"]["qemu"]["default_memory"], 1024);
}

TEST_F(KataRuntimeCliTest, SyntaxErrorIsOneLineWithFileAndLine) {
  std::string cfg = write("bad.toml", "[hypervisor.qemu]\nmachine_type = = \"q35\"\n");
  for (const char* verb : {"env", "check"}) {
    auto out = run({"--config", cfg, verb});
    EXPECT_EQ(out.status.code, 1) << verb;
    EXPECT_EQ(lines(out.err), 1) << out.err;
    EXPECT_NE(out.err.find(cfg), std::string::npos) << out.err;
    EXPECT_NE(out.err.find("line 2"), std::string::npos) << out.err;
  }
}

TEST_F(KataRuntimeCliTest, MissingConfigFileIsAnError) {
  auto out = run({"--config", dir_ + "/nope.toml", "env"});
  EXPECT_EQ(out.status.code, 1);
  EXPECT_NE(out.err.find("nope.toml"), std::string::npos) << out.err;
}

TEST_F(KataRuntimeCliTest, CheckFailsClearlyWithoutAGuestKernel) {
  std::string cfg = write("c.toml", "[hypervisor.qemu]\nkernel = \"" + dir_ +
                                        "/vmlinuz\"\ninitrd = \"" + dir_ + "/initrd.img\"\n");
  auto out = run({"--config", cfg, "check"});
  EXPECT_EQ(out.status.code, 1);
  EXPECT_EQ(lines(out.err), 1) << out.err;
  EXPECT_NE(out.out.find("missing `" + dir_ + "/vmlinuz`"), std::string::npos) << out.out;
}

TEST_F(KataRuntimeCliTest, ContainerVerbsSayNotImplemented) {
  auto out = run({"create", "abc"});
  EXPECT_EQ(out.status.code, 1);
  EXPECT_NE(out.err.find("not implemented"), std::string::npos) << out.err;
}

TEST_F(KataRuntimeCliTest, UnknownCommandOrOptionIsAUsageError) {
  EXPECT_EQ(run({"frobnicate"}).status.code, 2);
  EXPECT_EQ(run({"--bogus", "env"}).status.code, 2);
  auto version = run({"--version"});
  EXPECT_EQ(version.status.code, 0);
  EXPECT_NE(version.out.find(KATA_VERSION), std::string::npos);
}

}  // namespace
}  // namespace kata
