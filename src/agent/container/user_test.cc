#include "agent/container/user.h"

#include <gtest/gtest.h>

namespace kata::agent::container {
namespace {

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "broken line\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
    "bob:x:1001:100::/home/bob:/bin/sh\n";
constexpr char kGroup[] =
    "root:x:0:\n"
    "users:x:100:alice,bob\n"
    "alice:x:1000:\n"
    "wheel:x:10:alice\n";

TEST(ResolveUser, NumbersPassThroughAndFindHome) {
  User u;
  u.uid = 1000;
  u.gid = 1000;
  auto r = resolve_user(u, kPasswd, kGroup);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->gid, 1000u);
  EXPECT_EQ(r->home, "/home/alice");
  EXPECT_TRUE(r->groups.empty());
}

TEST(ResolveUser, UnknownUidHasRootHome) {
  User u;
  u.uid = 4242;
  auto r = resolve_user(u, kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 4242u);
  EXPECT_EQ(r->home, "/");
}

TEST(ResolveUser, NameGivesUidAndPrimaryGid) {
  User u;
  u.username = "bob";
  auto r = resolve_user(u, kPasswd, kGroup);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->uid, 1001u);
  EXPECT_EQ(r->gid, 100u);
}

TEST(ResolveUser, GroupNamesAndNumbers) {
  User u;
  u.username = "alice";
  u.group = "users";
  u.additional_gids = {10};
  u.additional_groups = {"wheel", "7", "root"};
  auto r = resolve_user(u, kPasswd, kGroup);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->gid, 100u);
  EXPECT_EQ(r->groups, (std::vector<gid_t>{10, 7, 0}));  // wheel == 10: no duplicate
}

TEST(ResolveUser, NumericStringWithoutEntry) {
  User u;
  u.username = "1234";
  u.group = "55";
  auto r = resolve_user(u, "", "");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->uid, 1234u);
  EXPECT_EQ(r->gid, 55u);
}

TEST(ResolveUser, UnknownNamesFail) {
  User u;
  u.username = "mallory";
  auto r = resolve_user(u, kPasswd, kGroup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_NE(r.error().message().find("mallory"), std::string::npos);
  User g;
  g.group = "nogroup";
  EXPECT_FALSE(resolve_user(g, kPasswd, kGroup));
}

}  // namespace
}  // namespace kata::agent::container
