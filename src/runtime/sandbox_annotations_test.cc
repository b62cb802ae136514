#include "runtime/sandbox_annotations.h"

#include <gtest/gtest.h>

namespace kata::runtime {
namespace {

const std::string kPrefix = kHypervisorAnnotationPrefix;

TEST(SandboxAnnotations, SizeAnnotationsOverrideTheDefaults) {
  auto c = apply_sandbox_annotations(config::Config{}, {{kPrefix + "default_vcpus", "3"},
                                                        {kPrefix + "default_memory", "1024"},
                                                        {"io.katacontainers.pkg.oci.x", "y"},
                                                        {"other", "z"}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->hypervisor.default_vcpus, 3u);
  EXPECT_EQ(c->hypervisor.default_memory, 1024u);
  EXPECT_EQ(apply_sandbox_annotations(config::Config{}, {})->hypervisor.default_memory,
            config::Config{}.hypervisor.default_memory);
}

TEST(SandboxAnnotations, OnlyEnabledKeysAndOnlyGoodValues) {
  struct Case {
    std::string key, value;
    Code code;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"path", "/tmp/evil-qemu", Code::kInvalidArgument, "not enabled"},
           {"virtio_fs_daemon", "/bin/sh", Code::kInvalidArgument, "not enabled"},
           {"default_vcpus", "0", Code::kInvalidArgument, "from 1 to 255"},
           {"default_vcpus", "2x", Code::kInvalidArgument, "from 1 to 255"},
           {"default_memory", "-1", Code::kInvalidArgument, "from 64"},
           {"default_memory", "99999999999", Code::kInvalidArgument, "from 64"},
       }) {
    auto r = apply_sandbox_annotations(config::Config{}, {{kPrefix + c.key, c.value}});
    ASSERT_FALSE(r) << c.key << "=" << c.value;
    EXPECT_EQ(r.error().code(), c.code) << c.key;
    EXPECT_NE(r.error().message().find(c.says), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find(kPrefix + c.key), std::string::npos);
  }
}

TEST(SandboxAnnotations, PatternsAreRegularExpressionsAndUnbuiltKeysSaySo) {
  config::Config config;
  config.hypervisor.enable_annotations = {"kernel_.*"};
  auto r = apply_sandbox_annotations(config, {{kPrefix + "kernel_params", "quiet"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kUnimplemented);
  r = apply_sandbox_annotations(config, {{kPrefix + "default_vcpus", "2"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << "no longer enabled";
}

}  // namespace
}  // namespace kata::runtime
