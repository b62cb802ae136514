#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

// Pure helpers of process start, kept apart so that they are unit-tested.
namespace kata::agent::container {

// The value of `name` in "KEY=value" entries (the last one wins), or nullopt.
std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name);

// Finds `file` as execvp would: a name with '/' is taken as is, otherwise each
// PATH entry is tried (an empty PATH entry means the current directory).
// `is_executable` says whether a candidate path is an executable regular file.
// NOT_FOUND reads as runc's: exec: "x": executable file not found in $PATH.
Result<std::string> find_executable(const std::string& file, const std::string& path_env,
                                    const std::function<bool(const std::string&)>& is_executable);

// The PATH used when the process environment has none.
constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A wait status (from waitpid) as WaitProcess reports it: the exit code, or
// 128 + the signal number.
int exit_code_from_wait_status(int status);

}  // namespace kata::agent::container
