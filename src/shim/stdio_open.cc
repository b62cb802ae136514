#include "shim/stdio_open.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "shim/stdio_uri.h"

namespace kata::shim {
namespace {

Result<void> check_plain(const std::string& path) {
  if (path.find("://") != std::string::npos) {
    return Error(Code::kInvalidArgument, "unsupported stdio uri `" + path + "`");
  }
  return {};
}

// Opening the write side of a fifo blocks until a reader comes. Opening it
// O_RDWR first never blocks and makes us that reader for a moment, so the
// O_WRONLY open returns at once; the O_RDWR fd is then dropped, so that a
// write after containerd's reader left fails with EPIPE instead of hanging.
Result<UniqueFd> open_writer(const std::string& path) {
  if (path.empty()) return UniqueFd();
  KATA_TRY(check_plain(path));
  UniqueFd keep(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!keep) return Error::from_errno(errno, "open `" + path + "`");
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, "open `" + path + "`");
  return fd;
}

}  // namespace

Result<StdioFiles> open_stdio(const StdioPaths& paths, const std::string& id,
                              const std::string& ns) {
  StdioFiles files;
  files.terminal = paths.terminal;
  KATA_ASSIGN_OR_RETURN(std::optional<StdioUri> uri, parse_stdio_uri(paths.stdout_path));
  if (!paths.stdin_path.empty()) {
    KATA_TRY(check_plain(paths.stdin_path));
    files.in.reset(::open(paths.stdin_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!files.in) return Error::from_errno(errno, "open `" + paths.stdin_path + "`");
  }
  if (uri) {
    KATA_ASSIGN_OR_RETURN(UriOutput output, open_uri_output(*uri, id, ns));
    files.sink = std::move(output.logger);
    files.out = std::move(output.out);
    if (!paths.terminal) files.err = std::move(output.err);
    return files;
  }
  KATA_ASSIGN_OR_RETURN(files.out, open_writer(paths.stdout_path));
  if (!paths.terminal) {
    KATA_ASSIGN_OR_RETURN(files.err, open_writer(paths.stderr_path));
  }
  return files;
}

}  // namespace kata::shim
