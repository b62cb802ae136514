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

// Go's flag package would take `-debug` as the id; containerd never sends such a value, and a
// VM named `-debug` must not boot, so the word is read as the missing value it is.
TEST(ParseFlags, AFlagIsNeverTakenAsAValue) {
  for (const char* flag : {"-id", "-namespace", "-address", "-bundle", "--id"}) {
    Result<ShimFlags> flags = parse_flags({flag, "-debug", "start"});
    ASSERT_FALSE(flags) << flag;
    EXPECT_EQ(flags.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(flags.error().message(), std::string("flag needs an argument: ") +
                                           (flag + (flag[1] == '-' ? 1 : 0)) +
                                           " (got the flag `-debug`)");
  }
  // "-" alone is a word, as in Go; `-id=-debug` says explicitly that the value starts with '-'
  // (and validate_shim_id refuses that id).
  Result<ShimFlags> dash = parse_flags({"-bundle", "-", "start"});
  ASSERT_TRUE(dash) << dash.error().message();
  EXPECT_EQ(dash->bundle, "-");
  Result<ShimFlags> explicit_value = parse_flags({"-id=-debug", "start"});
  ASSERT_TRUE(explicit_value) << explicit_value.error().message();
  EXPECT_EQ(explicit_value->id, "-debug");
  EXPECT_EQ(explicit_value->verb, "start");
}

TEST(ValidateShimId, RefusesFlagsAndUnsafeIds) {
  EXPECT_TRUE(validate_shim_id("abc-1.2_3"));
  EXPECT_TRUE(validate_shim_id(std::string(64, 'a')));
  struct Case {
    std::string id;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"-debug", "invalid id `-debug`: starts with '-' (a flag, not an id)"},
           {"-", "invalid id `-`: starts with '-' (a flag, not an id)"},
           {"", "invalid id ``: empty"},
           {"..", "invalid id `..`: starts with '.'"},
           {"a/b", "invalid id `a/b`: only letters, digits, '-', '_' and '.' are allowed"},
           {std::string(65, 'a'), nullptr}}) {
    Status status = validate_shim_id(c.id);
    ASSERT_FALSE(status) << c.id;
    EXPECT_EQ(status.error().code(), Code::kInvalidArgument);
    if (c.error) {
      EXPECT_EQ(status.error().message(), c.error);
    }
  }
}

}  // namespace
}  // namespace kata::shim
