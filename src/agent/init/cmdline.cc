#include "agent/init/cmdline.h"

#include <optional>

#include "common/strings.h"

namespace kata::agent {
namespace {

constexpr std::string_view kPrefix = "agent.";

std::optional<ChannelKind> parse_channel(std::string_view v) {
  if (v == "serial") return ChannelKind::kSerial;
  if (v == "vsock") return ChannelKind::kVsock;
  if (v == "auto") return ChannelKind::kAuto;
  return std::nullopt;
}

// Upstream's agent takes more options than we act on; they are no reason to warn.
bool is_known_but_ignored(std::string_view key) {
  return key == "debug_console_vport" || key == "log_vport" || key == "server_addr" ||
         key == "hotplug_timeout" || key == "container_pipe_size" || key == "trace" ||
         key == "devmode" || key == "config_file" || key == "unified_cgroup_hierarchy";
}

void apply_option(std::string_view key, std::optional<std::string_view> value, AgentOptions& opts) {
  if (key == "log") {
    std::optional<log::Level> level = value ? log::parse_level(*value) : std::nullopt;
    if (level) {
      opts.log_level = *level;
    } else {
      opts.warnings.push_back("agent.log: unknown level `" + std::string(value.value_or("")) +
                              "`, keeping info");
    }
  } else if (key == "channel") {
    std::optional<ChannelKind> channel = value ? parse_channel(*value) : std::nullopt;
    if (channel) {
      opts.channel = *channel;
    } else {
      opts.warnings.push_back("agent.channel: unknown channel `" + std::string(value.value_or("")) +
                              "`, choosing automatically");
    }
  } else if (key == "park_nic") {
    if (value && !value->empty()) {
      opts.park_nics.emplace_back(*value);
    } else {
      opts.warnings.push_back("agent.park_nic: no MAC given");
    }
  } else if (key == "debug_console") {
    opts.debug_console = !value || *value == "1" || *value == "true" || *value == "on";
  } else if (!is_known_but_ignored(key)) {
    opts.warnings.push_back("unknown option `agent." + std::string(key) + "` ignored");
  }
}

}  // namespace

std::vector<std::string> split_cmdline(std::string_view cmdline) { return split_quoted(cmdline); }

AgentOptions parse_agent_options(std::string_view cmdline) {
  AgentOptions opts;
  for (const std::string& word : split_cmdline(cmdline)) {
    // Everything after a bare "--" is for init's argv, not for us.
    if (word == "--") break;
    if (!starts_with(word, kPrefix)) continue;
    std::string_view rest = std::string_view(word).substr(kPrefix.size());
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) {
      apply_option(rest, std::nullopt, opts);
    } else {
      apply_option(rest.substr(0, eq), rest.substr(eq + 1), opts);
    }
  }
  return opts;
}

}  // namespace kata::agent
