#include "agent/container/lookup.h"

#include <sys/wait.h>

#include "common/strings.h"

namespace kata::agent::container {

std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name) {
  std::optional<std::string> found;
  for (const std::string& e : env) {
    if (e.size() > name.size() && e[name.size()] == '=' && starts_with(e, name)) {
      found = e.substr(name.size() + 1);
    }
  }
  return found;
}

Result<std::string> find_executable(const std::string& file, const std::string& path_env,
                                    const std::function<bool(const std::string&)>& is_executable) {
  if (file.empty())
    return Error(Code::kInvalidArgument, "exec: no command given (process.args is empty)");
  if (file.find('/') != std::string::npos) {
    if (is_executable(file)) return file;
    return Error(Code::kNotFound,
                 "exec: \"" + file + "\": stat " + file + ": no such file or not an executable");
  }
  for (const std::string& dir : split(path_env, ':', false)) {
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + file;
    if (is_executable(candidate)) return candidate;
  }
  return Error(Code::kNotFound, "exec: \"" + file + "\": executable file not found in $PATH");
}

int exit_code_from_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace kata::agent::container
