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

// runc is the reference: the same exit code for each bad input, and one line on
// stderr that names what is wrong.
TEST_F(KataRuntimeCliTest, BadInputFailsAsRuncDoes) {
  std::string root = dir_ + "/root";
  std::string malformed = dir_ + "/malformed";
  ASSERT_TRUE(fs::mkdir_all(malformed + "/rootfs"));
  write("malformed/config.json", "{\"ociVersion\": ");
  struct Case {
    std::vector<std::string> args;
    std::string names;  // in our message
  };
  const Case cases[] = {
      {{"create", "--bundle", dir_ + "/missing", "c1"}, dir_ + "/missing"},
      {{"create", "--bundle", malformed, "c1"}, malformed + "/config.json"},
      {{"state", "nope"}, "container does not exist"},
      {{"start", "nope"}, "container does not exist"},
      {{"kill", "nope", "KILL"}, "container does not exist"},
      {{"delete", "nope"}, "container does not exist"},
      {{"pause", "nope"}, "container does not exist"},
      {{"exec", "nope", "true"}, "container does not exist"},
      {{"state", "../etc"}, "container does not exist"},
      {{"state"}, "id is required"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--root", root};
    args.insert(args.end(), c.args.begin(), c.args.end());
    sys::SpawnOptions o;
    o.argv = {"runc"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    auto runc = sys::run_capture(o, std::chrono::seconds(30));
    ASSERT_TRUE(runc) << runc.error().message();
    auto ours = run(args);
    std::string what = c.args[0] + " " + c.args.back();
    EXPECT_EQ(ours.status.code, runc->status.code) << what << ": " << ours.err;
    EXPECT_NE(ours.status.code, 0) << what;
    EXPECT_EQ(lines(ours.err), 1) << what << ": " << ours.err;
    EXPECT_NE(ours.err.find(c.names), std::string::npos) << what << ": " << ours.err;
    EXPECT_NE(ours.err.find("level=error"), std::string::npos) << what << ": " << ours.err;
  }
  // Nothing was made for any of them.
  EXPECT_FALSE(fs::exists(root + "/c1"));
}

TEST_F(KataRuntimeCliTest, ErrorsGoToTheLogInItsFormatAndToStderrAsRuncsDo) {
  std::string log = dir_ + "/log.json";
  auto out = run({"--root", dir_, "--log", log, "--log-format", "json", "state", "nope"});
  EXPECT_EQ(out.status.code, 1);
  EXPECT_EQ(out.err, "container does not exist\n");
  Result<std::string> text = fs::read_file(log);
  ASSERT_TRUE(text);
  auto j = nlohmann::json::parse(*text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << *text;
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "container does not exist");
  EXPECT_TRUE(j["time"].is_string());
}

TEST_F(KataRuntimeCliTest, ListOfAnEmptyRootAndSpecAndFeatures) {
  EXPECT_EQ(run({"--root", dir_ + "/none", "list", "-q"}).out, "");
  EXPECT_EQ(run({"--root", dir_ + "/none", "list", "--format", "json"}).out, "null\n");
  auto table = run({"--root", dir_ + "/none", "list"});
  EXPECT_EQ(table.out.substr(0, 12), "ID          ");

  ASSERT_EQ(run({"spec", "--bundle", dir_}).status.code, 0);
  Result<std::string> spec = fs::read_file(dir_ + "/config.json");
  ASSERT_TRUE(spec);
  auto j = nlohmann::json::parse(*spec, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["root"]["path"], "rootfs");
  EXPECT_EQ(j["process"]["args"][0], "sh");
  auto again = run({"spec", "--bundle", dir_});  // never overwrites
  EXPECT_EQ(again.status.code, 1);
  EXPECT_NE(again.err.find("exists"), std::string::npos);

  auto features = nlohmann::json::parse(run({"features"}).out, nullptr, false);
  ASSERT_FALSE(features.is_discarded());
  EXPECT_EQ(features["ociVersionMin"], "1.0.0");
}

TEST_F(KataRuntimeCliTest, HelpListsEveryVerb) {
  auto help = run({"--help"});
  EXPECT_EQ(help.status.code, 0);
  for (const char* verb :
       {"create", "start", "run", "state", "kill", "delete", "exec", "ps", "pause", "resume",
        "update", "list", "events", "spec", "features", "check", "env", "version"}) {
    EXPECT_NE(help.out.find(std::string("\n  ") + verb), std::string::npos) << verb;
  }
  EXPECT_EQ(help.out.find("relay"), std::string::npos) << "hidden verbs stay hidden";
}

TEST_F(KataRuntimeCliTest, UnknownCommandOrOptionIsAUsageErrorAsInRunc) {
  EXPECT_EQ(run({"frobnicate"}).status.code, 3);
  EXPECT_EQ(run({"--bogus", "env"}).status.code, 1);
  auto version = run({"--version"});
  EXPECT_EQ(version.status.code, 0);
  EXPECT_NE(version.out.find(KATA_VERSION), std::string::npos);
}

}  // namespace
}  // namespace kata
