#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::fs {

Result<std::string> read_file(const std::string& path);
// Writes through a temporary file and rename(), so readers never see half a file.
Result<void> write_file_atomic(const std::string& path, std::string_view content, int mode = 0644);
Result<void> mkdir_all(const std::string& path, int mode = 0755);
// Removes a file or a whole tree; a missing path is not an error.
Result<void> remove_all(const std::string& path);
bool exists(const std::string& path);

}  // namespace kata::fs
