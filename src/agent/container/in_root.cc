#include "agent/container/in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

constexpr int kMaxSymlinks = 40;

int openat2_in_root(int root_fd, const std::string& rel) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(
      ::syscall(SYS_openat2, root_fd, rel.empty() ? "." : rel.c_str(), &how, sizeof how));
}

// Where `fd` (opened below root_fd) sits, as the container sees it.
Result<std::string> container_path_of(int root_fd, int fd) {
  char root[PATH_MAX], here[PATH_MAX];
  ssize_t rn = ::readlink(fd_path(root_fd).c_str(), root, sizeof root - 1);
  ssize_t hn = ::readlink(fd_path(fd).c_str(), here, sizeof here - 1);
  if (rn < 0 || hn < 0) return Error::from_errno(errno, "readlink /proc/self/fd");
  std::string r(root, rn), h(here, hn);
  if (r == "/") return h;
  if (!starts_with(h, r)) return Error(Code::kInternal, fmt_path("resolved path outside root", h));
  std::string rest = h.substr(r.size());
  return rest.empty() ? "/" : rest;
}

Result<UniqueFd> resolve(int root_fd, const std::string& path, bool create, Leaf leaf, int depth) {
  if (depth > kMaxSymlinks) return Error::from_errno(ELOOP, fmt_path("resolve", path));
  std::vector<std::string> parts = split(path, '/');
  UniqueFd cur(openat2_in_root(root_fd, ""));
  if (!cur) return Error::from_errno(errno, "open container root");
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string next = prefix + "/" + parts[i];
    UniqueFd fd(openat2_in_root(root_fd, next));
    if (!fd && (errno != ENOENT || !create))
      return Error::from_errno(errno, fmt_path("open", path));
    if (!fd) {
      // Missing, or a symlink whose target is missing: follow it by hand.
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(cur.get(), parts[i].c_str(), target, sizeof target - 1);
      if (n >= 0) {
        std::string base;
        if (target[0] != '/') {
          KATA_ASSIGN_OR_RETURN(base, container_path_of(root_fd, cur.get()));
        }
        std::string rewritten = base + "/" + std::string(target, n);
        for (size_t j = i + 1; j < parts.size(); ++j) rewritten += "/" + parts[j];
        return resolve(root_fd, rewritten, create, leaf, depth + 1);
      }
      bool last = i + 1 == parts.size();
      if (last && leaf == Leaf::kFile) {
        UniqueFd f(::openat(cur.get(), parts[i].c_str(),
                            O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!f && errno != EEXIST) return Error::from_errno(errno, fmt_path("create", path));
      } else if (::mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return Error::from_errno(errno, fmt_path("mkdir", next));
      }
      fd.reset(openat2_in_root(root_fd, next));
      if (!fd) return Error::from_errno(errno, fmt_path("open", path));
    }
    cur = std::move(fd);
    prefix = next;
  }
  return cur;
}

}  // namespace

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, bool create, Leaf leaf) {
  return resolve(root_fd, path, create, leaf, 0);
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace kata::agent::container
