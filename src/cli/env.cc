#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/load_config.h"
#include "config/json.h"

namespace kata::cli {

int run_env(const GlobalOptions& opts, const std::vector<std::string>& args) {
  bool json = false;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else {
      return fail("env", "unexpected argument `" + a + "` (only --json)");
    }
  }
  Result<config::LoadedConfig> loaded = load_config(opts);
  if (!loaded) return fail("env", loaded.error().message());
  if (json) {
    nlohmann::json out = config::to_json(loaded->config);
    out["config_path"] = loaded->path;
    out["version"] = KATA_VERSION;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("# kata-runtime %s, configuration `%s`\n%s", KATA_VERSION, loaded->path.c_str(),
                config::to_toml(loaded->config).c_str());
  }
  return 0;
}

}  // namespace kata::cli
