#include "shim/stdio_uri.h"

#include <gtest/gtest.h>

namespace kata::shim {
namespace {

TEST(StdioUri, PlainPathsAreNoUri) {
  for (const char* path : {"", "/run/containerd/fifo/abc-stdout", "relative"}) {
    Result<std::optional<StdioUri>> uri = parse_stdio_uri(path);
    ASSERT_TRUE(uri) << path;
    EXPECT_FALSE(uri->has_value()) << path;
  }
}

TEST(StdioUri, FileAndBinaryAreDecoded) {
  auto file = parse_stdio_uri("file:///var/log/a%20b.log");
  ASSERT_TRUE(file && *file);
  EXPECT_EQ((*file)->scheme, "file");
  EXPECT_EQ((*file)->path, "/var/log/a b.log");
  EXPECT_TRUE((*file)->query.empty());

  auto binary = parse_stdio_uri("binary:///usr/bin/logger?id=c%2F1&flag&note=a+b");
  ASSERT_TRUE(binary && *binary);
  EXPECT_EQ((*binary)->path, "/usr/bin/logger");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ((*binary)->query, (Pairs{{"id", "c/1"}, {"flag", ""}, {"note", "a b"}}));
}

TEST(StdioUri, UnusableUrisSayWhy) {
  struct Case {
    const char* uri;
    const char* says;
  };
  for (const Case& c :
       {Case{"fifo:///x", "scheme `fifo` is not supported"},
        Case{"file://host/x", "absolute path after `file://` and no host"},
        Case{"binary://", "absolute path"}, Case{"file:///a%2", "bad % escape in the path"},
        Case{"binary:///l?k=%zz", "bad % escape in the query"}}) {
    Result<std::optional<StdioUri>> uri = parse_stdio_uri(c.uri);
    ASSERT_FALSE(uri) << c.uri;
    EXPECT_EQ(uri.error().code(), Code::kInvalidArgument);
    EXPECT_NE(uri.error().message().find(c.says), std::string::npos) << uri.error().message();
  }
}

}  // namespace
}  // namespace kata::shim
