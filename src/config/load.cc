#include "config/load.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::config {

std::vector<std::string> default_config_paths() {
  std::vector<std::string> paths = {
      "/etc/kata-containers/configuration.toml",
      install_prefix() + "/share/defaults/kata-containers/configuration.toml",
      "/usr/share/defaults/kata-containers/configuration.toml",
  };
  if (paths[1] == paths[2]) paths.pop_back();
  return paths;
}

ConfigSearch config_search(std::string explicit_path) {
  ConfigSearch search;
  search.explicit_path = std::move(explicit_path);
  if (const char* env = std::getenv("KATA_CONF_FILE")) search.env_path = env;
  return search;
}

Result<std::string> find_config_file(const ConfigSearch& search) {
  // A path the user named must exist: silently falling back would run with a config
  // they did not ask for.
  if (!search.explicit_path.empty()) {
    if (!fs::exists(search.explicit_path)) {
      return Error::from_errno(ENOENT, fmt_path("config file", search.explicit_path));
    }
    return search.explicit_path;
  }
  if (!search.env_path.empty()) {
    if (!fs::exists(search.env_path)) {
      return Error::from_errno(ENOENT, fmt_path("config file (KATA_CONF_FILE)", search.env_path));
    }
    return search.env_path;
  }
  for (const std::string& path : search.search_paths) {
    if (fs::exists(path)) return path;
  }
  std::string tried;
  for (const std::string& path : search.search_paths) {
    tried += tried.empty() ? "" : ", ";
    tried += "`" + path + "`";
  }
  return Error(Code::kNotFound, fmt::format("no configuration file found (tried {})", tried),
               ENOENT);
}

Result<LoadedConfig> load_config_file(const std::string& path) {
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  return parse_config(text, path);
}

Result<LoadedConfig> load_config(const ConfigSearch& search) {
  KATA_ASSIGN_OR_RETURN(std::string path, find_config_file(search));
  return load_config_file(path);
}

}  // namespace kata::config
