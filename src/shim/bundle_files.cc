#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "common/unique_fd.h"
#include "shim/verbs.h"

namespace kata::shim {

Result<std::string> bundle_dir(const ShimFlags& flags) {
  if (!flags.bundle.empty()) return flags.bundle;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr)
    return Error::from_errno(errno, "get working directory");
  return std::string(cwd);
}

Result<void> write_bundle_file(const std::string& dir, const std::string& name,
                               const std::string& content) {
  std::string path = dir + "/" + name;
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return Error::from_errno(errno, "create `" + tmp + "`");
  std::string_view rest = content;
  while (!rest.empty()) {
    ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, "write `" + tmp + "`");
    rest.remove_prefix(static_cast<size_t>(n));
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error::from_errno(errno, "rename `" + tmp + "`");
  }
  return {};
}

}  // namespace kata::shim
