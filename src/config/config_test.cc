#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"
#include "config/json.h"
#include "config/load.h"

namespace kata::config {
namespace {

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kata-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(fs::write_file_atomic(path, text));
    return path;
  }
  std::string dir_;
};

TEST(ConfigTest, DefaultsWhenKeysAreMissing) {
  auto loaded = parse_config("", "empty.toml");
  ASSERT_TRUE(loaded) << loaded.error().message();
  const Config& c = loaded->config;
  EXPECT_EQ(c, Config{});
  EXPECT_EQ(c.hypervisor.path, "/usr/bin/qemu-system-x86_64");
  EXPECT_EQ(c.hypervisor.kernel, install_prefix() + "/share/kata-containers/vmlinux");
  EXPECT_EQ(c.hypervisor.initrd, install_prefix() + "/share/kata-containers/kata-initrd.img");
  EXPECT_EQ(c.hypervisor.default_vcpus, 1u);
  EXPECT_EQ(c.hypervisor.default_memory, 2048u);
  EXPECT_EQ(c.hypervisor.shared_fs, SharedFs::kVirtioFs);
  EXPECT_EQ(c.hypervisor.virtio_fs_daemon, "/usr/lib/qemu/virtiofsd");
  EXPECT_EQ(c.hypervisor.accelerator, Accelerator::kAuto);
  EXPECT_TRUE(c.hypervisor.reclaim_guest_freed_memory);
  EXPECT_EQ(c.hypervisor.seccompsandbox,
            "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  EXPECT_TRUE(c.hypervisor.drop_capabilities);
  EXPECT_EQ(c.hypervisor.console_log_max_bytes, 1u << 20);
  EXPECT_EQ(c.agent.dial_timeout, 45u);
  EXPECT_TRUE(c.runtime.sandbox_cgroup_only);
  EXPECT_EQ(c.hypervisor.enable_annotations,
            (std::vector<std::string>{"default_vcpus", "default_memory"}));
  EXPECT_EQ(c.agent.channel, AgentChannel::kAuto);
  EXPECT_EQ(c.runtime.internetworking_model, InterNetworkingModel::kTcFilter);
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(ConfigTest, EveryKeyIsRead) {
  auto loaded = parse_config(R"(
[hypervisor.qemu]
path = "/opt/qemu"
kernel = "/k"
initrd = "/i"
machine_type = "q35"
kernel_params = "foo=bar"
default_vcpus = 4
default_memory = 512
shared_fs = "none"
virtio_fs_daemon = "/v"
virtio_fs_cache = "never"
virtio_fs_extra_args = ["-o", "xattr"]
enable_debug = true
reclaim_guest_freed_memory = false
accelerator = "tcg"
tsc_khz = 2500000
seccompsandbox = ""
drop_capabilities = false
console_log_max_bytes = 65536
[agent.kata]
enable_debug = true
dial_timeout = 10
kernel_modules = ["e1000e InterruptThrottleRate=3000", "i915"]
channel = "serial"
[runtime]
enable_debug = true
internetworking_model = "none"
sandbox_cgroup_only = false
)",
                             "full.toml");
  ASSERT_TRUE(loaded) << loaded.error().message();
  const Config& c = loaded->config;
  EXPECT_EQ(c.hypervisor.path, "/opt/qemu");
  EXPECT_EQ(c.hypervisor.kernel, "/k");
  EXPECT_EQ(c.hypervisor.initrd, "/i");
  EXPECT_EQ(c.hypervisor.machine_type, MachineType::kQ35);
  EXPECT_EQ(c.hypervisor.kernel_params, "foo=bar");
  EXPECT_EQ(c.hypervisor.default_vcpus, 4u);
  EXPECT_EQ(c.hypervisor.default_memory, 512u);
  EXPECT_EQ(c.hypervisor.shared_fs, SharedFs::kNone);
  EXPECT_EQ(c.hypervisor.virtio_fs_daemon, "/v");
  EXPECT_EQ(c.hypervisor.virtio_fs_cache, "never");
  EXPECT_EQ(c.hypervisor.virtio_fs_extra_args, (std::vector<std::string>{"-o", "xattr"}));
  EXPECT_TRUE(c.hypervisor.enable_debug);
  EXPECT_FALSE(c.hypervisor.reclaim_guest_freed_memory);
  EXPECT_EQ(c.hypervisor.accelerator, Accelerator::kTcg);
  EXPECT_EQ(c.hypervisor.tsc_khz, 2500000u);
  EXPECT_EQ(c.hypervisor.seccompsandbox, "");
  EXPECT_FALSE(c.hypervisor.drop_capabilities);
  EXPECT_EQ(c.hypervisor.console_log_max_bytes, 65536u);
  EXPECT_TRUE(c.agent.enable_debug);
  EXPECT_EQ(c.agent.dial_timeout, 10u);
  EXPECT_EQ(c.agent.kernel_modules,
            (std::vector<std::string>{"e1000e InterruptThrottleRate=3000", "i915"}));
  EXPECT_EQ(c.agent.channel, AgentChannel::kSerial);
  EXPECT_TRUE(c.runtime.enable_debug);
  EXPECT_EQ(c.runtime.internetworking_model, InterNetworkingModel::kNone);
  EXPECT_FALSE(c.runtime.sandbox_cgroup_only);
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(ConfigTest, ErrorsNameFileLineAndKey) {
  struct Case {
    const char* name;
    const char* text;
    const char* want;
  } cases[] = {
      {"syntax", "[hypervisor.qemu]\npath = \"/x\"\nkernel = \n",
       "parse `c.toml`: line 3, column 10: Error while parsing key-value pair: "
       "expected value, saw '\\n'"},
      {"bad enum", "[hypervisor.qemu]\n\nmachine_type = \"pc\"\n",
       "parse `c.toml`: line 3, column 16: key `hypervisor.qemu.machine_type`: "
       "invalid value \"pc\" (expected microvm or q35)"},
      {"wrong type", "[hypervisor.qemu]\ndefault_vcpus = \"2\"\n",
       "parse `c.toml`: line 2, column 17: key `hypervisor.qemu.default_vcpus`: "
       "expected an integer, got a string"},
      {"bool as string", "[runtime]\nenable_debug = \"yes\"\n",
       "parse `c.toml`: line 2, column 16: key `runtime.enable_debug`: "
       "expected a boolean, got a string"},
      {"negative", "[hypervisor.qemu]\ndefault_memory = -1\n",
       "parse `c.toml`: line 2, column 18: key `hypervisor.qemu.default_memory`: "
       "-1 is out of range (0 to 4294967295)"},
      {"array item", "[agent.kata]\nkernel_modules = [\"a\", 1]\n",
       "parse `c.toml`: line 2, column 24: key `agent.kata.kernel_modules`: "
       "expected an array of strings, got an integer"},
      {"section not table", "hypervisor = 3\n",
       "parse `c.toml`: line 1, column 14: key `hypervisor`: expected a table, got an integer"},
      {"relative path", "[hypervisor.qemu]\nkernel = \"vmlinuz\"\n",
       "parse `c.toml`: line 2, column 10: key `hypervisor.qemu.kernel`: "
       "\"vmlinuz\" is not an absolute path"},
      {"channel", "[agent.kata]\nchannel = \"tcp\"\n",
       "parse `c.toml`: line 2, column 11: key `agent.kata.channel`: "
       "invalid value \"tcp\" (expected auto, vsock or serial)"},
      {"virtio-fs cache", "[hypervisor.qemu]\nvirtio_fs_cache = \"metadata\"\n",
       "parse `c.toml`: line 2, column 19: key `hypervisor.qemu.virtio_fs_cache`: "
       "invalid value \"metadata\" (expected auto, always, none or never)"},
      {"console cap too small", "[hypervisor.qemu]\nconsole_log_max_bytes = 100\n",
       "parse `c.toml`: [hypervisor.qemu]: `console_log_max_bytes` below the minimum of 8192 "
       "bytes"},
      {"annotation pattern", "[hypervisor.qemu]\nenable_annotations = [\"default_(\"]\n",
       "parse `c.toml`: [hypervisor.qemu]: `enable_annotations`: `default_(` is not a regular "
       "expression"},
      {"image and initrd", "[hypervisor.qemu]\nimage = \"/a\"\ninitrd = \"/b\"\n",
       "parse `c.toml`: [hypervisor.qemu]: set either `image` or `initrd`, not both"},
  };
  for (const Case& c : cases) {
    auto loaded = parse_config(c.text, "c.toml");
    ASSERT_FALSE(loaded) << c.name;
    EXPECT_EQ(loaded.error().code(), Code::kInvalidArgument) << c.name;
    EXPECT_EQ(loaded.error().message().rfind(c.want, 0), 0u)
        << c.name << ": " << loaded.error().message();
  }
}

TEST(ConfigTest, UnknownKeysWarnButLoad) {
  auto loaded = parse_config(R"([hypervisor.qemu]
block_device_driver = "virtio-scsi"
default_vcpus = 2
[hypervisor.clh]
path = "/x"
[factory]
enable_template = false
)",
                             "c.toml");
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->config.hypervisor.default_vcpus, 2u);
  EXPECT_EQ(loaded->warnings,
            (std::vector<std::string>{
                "`c.toml`: line 2: unknown key `hypervisor.qemu.block_device_driver` ignored",
                "`c.toml`: line 4: unknown key `hypervisor.clh` ignored",
                "`c.toml`: line 6: unknown key `factory` ignored"}));
}

TEST(ConfigTest, ImageAloneReplacesDefaultInitrdAndZeroMeansDefault) {
  auto loaded = parse_config("[hypervisor.qemu]\nimage = \"/img\"\ndefault_vcpus = 0\n", "c");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->config.hypervisor.image, "/img");
  EXPECT_EQ(loaded->config.hypervisor.initrd, "");
  EXPECT_EQ(loaded->config.hypervisor.default_vcpus, 1u);
}

TEST(ConfigTest, TomlAndJsonRoundTrip) {
  Config c;
  c.hypervisor.machine_type = MachineType::kQ35;
  c.hypervisor.kernel_params = "a=\"quoted\"";
  c.agent.kernel_modules = {"m1", "m2 p=1"};
  c.agent.channel = AgentChannel::kVsock;
  c.runtime.sandbox_cgroup_only = false;
  auto back = parse_config(to_toml(c), "roundtrip");
  ASSERT_TRUE(back) << back.error().message() << "\n" << to_toml(c);
  EXPECT_EQ(back->config, c);
  EXPECT_TRUE(back->warnings.empty());

  nlohmann::json j = to_json(c);
  EXPECT_EQ(j["hypervisor"]["qemu"]["machine_type"], "q35");
  EXPECT_EQ(j["hypervisor"]["qemu"]["default_memory"], 2048);
  EXPECT_EQ(j["agent"]["kata"]["channel"], "vsock");
  EXPECT_EQ(j["agent"]["kata"]["kernel_modules"][1], "m2 p=1");
  EXPECT_EQ(j["runtime"]["sandbox_cgroup_only"], false);
}

TEST(ConfigTest, ShippedDefaultFileMatchesBuiltInDefaults) {
  auto loaded = load_config_file(KATA_TEST_DEFAULT_CONFIG);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->config, Config{});
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST_F(ConfigFiles, PrecedenceExplicitThenEnvThenSearchPaths) {
  std::string etc = write("etc.toml", "[hypervisor.qemu]\ndefault_vcpus = 2\n");
  std::string share = write("share.toml", "[hypervisor.qemu]\ndefault_vcpus = 3\n");
  std::string env = write("env.toml", "[hypervisor.qemu]\ndefault_vcpus = 4\n");
  std::string cli = write("cli.toml", "[hypervisor.qemu]\ndefault_vcpus = 5\n");
  std::string missing = dir_ + "/missing.toml";

  struct Case {
    ConfigSearch search;
    std::string want_path;
    uint32_t want_vcpus;
  } cases[] = {
      {{cli, env, {etc, share}}, cli, 5},
      {{"", env, {etc, share}}, env, 4},
      {{"", "", {etc, share}}, etc, 2},
      {{"", "", {missing, share}}, share, 3},
  };
  for (const Case& c : cases) {
    auto loaded = load_config(c.search);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->path, c.want_path);
    EXPECT_EQ(loaded->config.hypervisor.default_vcpus, c.want_vcpus);
  }
}

TEST_F(ConfigFiles, MissingFiles) {
  std::string share = write("share.toml", "");
  std::string missing = dir_ + "/missing.toml";
  auto explicit_missing = find_config_file({missing, "", {share}});
  ASSERT_FALSE(explicit_missing);
  EXPECT_EQ(explicit_missing.error().message(),
            "config file `" + missing + "`: No such file or directory");

  auto env_missing = find_config_file({"", missing, {share}});
  ASSERT_FALSE(env_missing);
  EXPECT_EQ(env_missing.error().code(), Code::kNotFound);

  auto none = find_config_file({"", "", {missing, missing + "2"}});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(),
            "no configuration file found (tried `" + missing + "`, `" + missing + "2`)");
}

TEST_F(ConfigFiles, EnvironmentVariableIsRead) {
  std::string env = write("env.toml", "");
  ::setenv("KATA_CONF_FILE", env.c_str(), 1);
  ConfigSearch s = config_search("");
  ::unsetenv("KATA_CONF_FILE");
  EXPECT_EQ(s.env_path, env);
  EXPECT_EQ(s.search_paths, default_config_paths());
  EXPECT_EQ(default_config_paths().front(), "/etc/kata-containers/configuration.toml");
  EXPECT_EQ(default_config_paths().back(),
            "/usr/share/defaults/kata-containers/configuration.toml");
}

TEST(ConfigTest, EnumNamesRoundTrip) {
  for (auto m : {MachineType::kMicrovm, MachineType::kQ35}) {
    EXPECT_EQ(parse_machine_type(to_string(m)), m);
  }
  for (auto a : {Accelerator::kAuto, Accelerator::kKvm, Accelerator::kTcg}) {
    EXPECT_EQ(parse_accelerator(to_string(a)), a);
  }
  EXPECT_EQ(parse_machine_type("Q35"), std::nullopt);
}

}  // namespace
}  // namespace kata::config
