#include "shim/flags.h"

#include <gtest/gtest.h>

namespace kata::shim {
namespace {

TEST(ParseFlags, ContainerdStartCommandLine) {
  Result<ShimFlags> flags =
      parse_flags({"-namespace", "default", "-address", "/run/containerd/containerd.sock",
                   "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start"});
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->namespace_, "default");
  EXPECT_EQ(flags->address, "/run/containerd/containerd.sock");
  EXPECT_EQ(flags->publish_binary, "/usr/bin/containerd");
  EXPECT_EQ(flags->id, "abc");
  EXPECT_TRUE(flags->debug);
  EXPECT_EQ(flags->verb, "start");
}

struct FlagCase {
  std::vector<std::string> args;
  std::string namespace_;
  std::string bundle;
  bool debug;
  bool version;
  std::string verb;
};

class ParseFlagsOk : public ::testing::TestWithParam<FlagCase> {};

TEST_P(ParseFlagsOk, Parses) {
  const FlagCase& c = GetParam();
  Result<ShimFlags> flags = parse_flags(c.args);
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->namespace_, c.namespace_);
  EXPECT_EQ(flags->bundle, c.bundle);
  EXPECT_EQ(flags->debug, c.debug);
  EXPECT_EQ(flags->version, c.version);
  EXPECT_EQ(flags->verb, c.verb);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseFlagsOk,
    ::testing::Values(FlagCase{{"-namespace=x"}, "x", "", false, false, ""},
                      FlagCase{{"--namespace", "x"}, "x", "", false, false, ""},
                      FlagCase{{"--namespace=x", "delete"}, "x", "", false, false, "delete"},
                      FlagCase{{"-bundle", "/b", "delete"}, "", "/b", false, false, "delete"},
                      FlagCase{{"-namespace="}, "", "", false, false, ""},
                      FlagCase{{"-debug=false", "start"}, "", "", false, false, "start"},
                      FlagCase{{"-debug=true"}, "", "", true, false, ""},
                      FlagCase{{"-v"}, "", "", false, true, ""},
                      FlagCase{{"--version"}, "", "", false, true, ""},
                      FlagCase{{"--", "-namespace"}, "", "", false, false, "-namespace"},
                      FlagCase{{"start", "-namespace", "x"}, "", "", false, false, "start"},
                      FlagCase{{}, "", "", false, false, ""}));

TEST(ParseFlags, WordsAfterTheVerbAreKept) {
  Result<ShimFlags> flags = parse_flags({"-id", "a", "start", "x", "-y"});
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->rest, (std::vector<std::string>{"x", "-y"}));
}

class ParseFlagsBad : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(ParseFlagsBad, IsInvalidArgument) {
  Result<ShimFlags> flags = parse_flags(GetParam());
  ASSERT_FALSE(flags);
  EXPECT_EQ(flags.error().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Table, ParseFlagsBad,
                         ::testing::Values(std::vector<std::string>{"-unknown"},
                                           std::vector<std::string>{"-namespace"},
                                           std::vector<std::string>{"-debug=maybe"},
                                           std::vector<std::string>{"---namespace", "x"},
                                           std::vector<std::string>{"-=x"},
                                           std::vector<std::string>{"-id", "a", "-nope", "start"}));

}  // namespace
}  // namespace kata::shim
