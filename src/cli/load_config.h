#pragma once

#include "cli/cli.h"
#include "common/log.h"
#include "config/load.h"

namespace kata::cli {

// The configuration every verb uses: --config, $KATA_CONF_FILE, then the
// default paths. Debug from the file turns on debug logging too.
inline Result<config::LoadedConfig> load_config(const GlobalOptions& opts) {
  Result<config::LoadedConfig> loaded =
      config::load_config(config::config_search(opts.config_path));
  if (loaded && loaded->config.runtime.enable_debug) log::set_level(log::Level::kDebug);
  return loaded;
}

}  // namespace kata::cli
