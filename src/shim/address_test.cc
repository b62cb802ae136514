#include "shim/address.h"

#include <gtest/gtest.h>

#include "shim/sha256.h"

namespace kata::shim {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Two blocks of padding.
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(SocketAddress, MatchesContainerdAlgorithm) {
  // By hand: printf '%s' /run/containerd/containerd.sock/default/abc | sha256sum
  EXPECT_EQ(socket_address("/run/containerd/containerd.sock", "default", "abc"),
            "unix:///run/containerd/s/"
            "8cb244a719603fe00870d5ce1d8e1f1db43a654cb993d107df1f1ae23ddffa59");
  // filepath.Join cleans: a trailing slash changes nothing.
  EXPECT_EQ(socket_address("/run/containerd/containerd.sock/", "default", "abc"),
            socket_address("/run/containerd/containerd.sock", "default", "abc"));
  EXPECT_EQ(socket_address("/a", "ns", "id", "/tmp/state/").substr(0, 20), "unix:///tmp/state/s/");
}

TEST(CleanPath, LikeGo) {
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("a//b/./c/"), "a/b/c");
  EXPECT_EQ(clean_path("/a/../../b"), "/b");
  EXPECT_EQ(clean_path("../a/.."), "..");
  EXPECT_EQ(clean_path("a/b/../.."), ".");
}

TEST(SocketPath, StripsUnixScheme) {
  EXPECT_EQ(*socket_path("unix:///run/x"), "/run/x");
  EXPECT_EQ(*socket_path("/run/x"), "/run/x");
  EXPECT_FALSE(socket_path("vsock://3:1024"));
}

}  // namespace
}  // namespace kata::shim
