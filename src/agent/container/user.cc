#include "agent/container/user.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/strings.h"

namespace kata::agent::container {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::optional<uint32_t> parse_id(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (const std::string& line : split(text, '\n')) {
    std::vector<std::string> f = split(line, ':', false);
    if (f.size() < 6 || f[0].empty() || f[0][0] == '#') continue;
    std::optional<uint32_t> uid = parse_id(f[2]), gid = parse_id(f[3]);
    if (!uid || !gid) continue;
    out.push_back({f[0], *uid, *gid, f[5]});
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (const std::string& line : split(text, '\n')) {
    std::vector<std::string> f = split(line, ':', false);
    if (f.size() < 3 || f[0].empty() || f[0][0] == '#') continue;
    std::optional<uint32_t> gid = parse_id(f[2]);
    if (!gid) continue;
    out.push_back({f[0], *gid, f.size() > 3 ? split(f[3], ',') : std::vector<std::string>{}});
  }
  return out;
}

Result<gid_t> resolve_group(const std::string& name_or_id, const std::vector<GroupEntry>& groups) {
  if (std::optional<uint32_t> id = parse_id(name_or_id)) return *id;
  for (const GroupEntry& g : groups) {
    if (g.name == name_or_id) return g.gid;
  }
  return Error(Code::kNotFound,
               "unable to find group " + name_or_id + ": no matching entries in group file");
}

}  // namespace

Result<ResolvedUser> resolve_user(const User& user, std::string_view passwd,
                                  std::string_view group) {
  std::vector<PasswdEntry> users = parse_passwd(passwd);
  std::vector<GroupEntry> groups = parse_group(group);
  ResolvedUser out{user.uid, user.gid, {}, "/"};
  const PasswdEntry* entry = nullptr;
  if (!user.username.empty()) {
    std::optional<uint32_t> numeric = parse_id(user.username);
    for (const PasswdEntry& p : users) {
      if (numeric ? p.uid == *numeric : p.name == user.username) {
        entry = &p;
        break;
      }
    }
    if (!entry && !numeric) {
      return Error(Code::kNotFound,
                   "unable to find user " + user.username + ": no matching entries in passwd file");
    }
    out.uid = numeric ? *numeric : entry->uid;
    if (entry) out.gid = entry->gid;
  } else {
    for (const PasswdEntry& p : users) {
      if (p.uid == out.uid) {
        entry = &p;
        break;
      }
    }
  }
  if (entry) out.home = entry->home.empty() ? "/" : entry->home;
  if (!user.group.empty()) {
    KATA_ASSIGN_OR_RETURN(out.gid, resolve_group(user.group, groups));
  }
  auto add = [&out](gid_t g) {
    if (std::find(out.groups.begin(), out.groups.end(), g) == out.groups.end())
      out.groups.push_back(g);
  };
  for (uint32_t g : user.additional_gids) add(g);
  for (const std::string& g : user.additional_groups) {
    KATA_ASSIGN_OR_RETURN(gid_t gid, resolve_group(g, groups));
    add(gid);
  }
  return out;
}

}  // namespace kata::agent::container
