#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "agent/container/spec.h"
#include "common/result.h"

// Resolves a container user from the text of the container's /etc/passwd and
// /etc/group, as runc does: names are looked up, numbers are taken as they
// are, and a user's primary gid comes from passwd when no group is given.
namespace kata::agent::container {

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, in order, without duplicates
  std::string home;           // "/" when the user is unknown
};

// `passwd` / `group` may be empty (no such file): then only numbers resolve.
Result<ResolvedUser> resolve_user(const User& user, std::string_view passwd,
                                  std::string_view group);

}  // namespace kata::agent::container
