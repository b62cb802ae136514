#pragma once

// containerd's stdio URIs for a process's output, as its runc shim reads them
// (pkg/process/io.go in containerd 1.6; `ctr run --log-uri`, nerdctl's logging):
//   file:///path          stdout and stderr appended to one file (its directory made)
//   binary:///path?k=v    a logging program started by the shim: it reads the
//                         process's stdout on fd 3 and stderr on fd 4, says it is
//                         ready by writing to or closing fd 5, and gets `path k v...`
//                         as its command line and only CONTAINER_ID and
//                         CONTAINER_NAMESPACE as its environment.
// The stdout URI decides for both streams; stdin stays a fifo path.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "runtime/service/stdio_pumps.h"
#include "sys/subprocess.h"

namespace kata::shim {

struct StdioUri {
  std::string scheme;                                      // "file" or "binary"
  std::string path;                                        // absolute, percent-decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in URI order
};

// nullopt for a plain path (a fifo, or nothing); an error for a URI we cannot use:
// another scheme, a host part, a relative path.
Result<std::optional<StdioUri>> parse_stdio_uri(std::string_view text);

// A binary:// logging program. The destructor ends it as containerd does, once the
// process's output is closed: SIGTERM, up to 12 s to flush, then SIGKILL.
class Logger : public runtime::service::OutputSink {
 public:
  explicit Logger(sys::Process process) : process_(std::move(process)) {}
  ~Logger() override;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  pid_t pid() const { return process_.pid(); }

 private:
  sys::Process process_;
};

// Where a process's output goes for a URI: the write ends, and the logger if any.
struct UriOutput {
  std::unique_ptr<Logger> logger;  // first: outlives the descriptors below
  UniqueFd out;
  UniqueFd err;
};

// Opens the file or starts the logger (waiting up to `ready_timeout` for its
// ready signal) for process `id` of namespace `ns`.
Result<UriOutput> open_uri_output(
    const StdioUri& uri, const std::string& id, const std::string& ns,
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(30));

}  // namespace kata::shim
