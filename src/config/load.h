#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace kata::config {

struct LoadedConfig {
  Config config;
  std::string path;  // the file it came from, for `kata-runtime env`
  // Keys and sections we ignored, each "`file`: line L: ...", already logged as warnings.
  std::vector<std::string> warnings;
};

// Parses configuration.toml text; `path` names the source in messages. Errors name the
// file, the line and the key: "parse `f`: line 3, column 1: key `agent.kata.channel`: ...".
Result<LoadedConfig> parse_config(std::string_view toml_text, const std::string& path);
Result<LoadedConfig> load_config_file(const std::string& path);

// The files tried after --config and KATA_CONF_FILE, in order:
// /etc/kata-containers/configuration.toml, ${prefix}/share/defaults/kata-containers/
// configuration.toml, /usr/share/defaults/kata-containers/configuration.toml.
std::vector<std::string> default_config_paths();

struct ConfigSearch {
  std::string explicit_path;  // --config; must exist when set
  std::string env_path;       // $KATA_CONF_FILE; must exist when set
  std::vector<std::string> search_paths = default_config_paths();  // first existing wins
};

// The search a CLI or shim does: its --config (may be empty) and the environment.
ConfigSearch config_search(std::string explicit_path);

// Which file the search picks, or NOT_FOUND naming every path tried.
Result<std::string> find_config_file(const ConfigSearch& search);
Result<LoadedConfig> load_config(const ConfigSearch& search);

// The effective configuration as TOML (every key, defaults included).
std::string to_toml(const Config& config);

}  // namespace kata::config
