#include "sys/file_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::sys {

std::string last_lines(std::string_view text, size_t n) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (n == 0 || text.empty()) return {};
  size_t start = text.size();
  for (size_t found = 0; found < n; ++found) {
    size_t nl = text.rfind('\n', start - 1);
    if (nl == std::string_view::npos) return std::string(text);
    start = nl;
    if (start == 0) break;
  }
  return std::string(text.substr(start + 1));
}

Result<std::string> read_tail(const std::string& path, size_t n, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno(errno, fmt_path("stat", path));
  off_t size = st.st_size;
  off_t from = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
  std::string buf(static_cast<size_t>(size - from), '\0');
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t r =
        ::pread(fd.get(), buf.data() + done, buf.size() - done, from + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::from_errno(errno, fmt_path("read", path));
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  buf.resize(done);
  return last_lines(buf, n);
}

}  // namespace kata::sys
