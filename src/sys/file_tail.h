#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::sys {

// The last `n` lines of `text` (a final line without '\n' counts), without the
// trailing newline.
std::string last_lines(std::string_view text, size_t n);

// The last `n` lines of a file, reading at most its last `max_bytes`: console logs
// grow without bound and only their end explains a failure.
Result<std::string> read_tail(const std::string& path, size_t n, size_t max_bytes = 64 * 1024);

}  // namespace kata::sys
