#include "runtime/sandbox_annotations.h"

#include <charconv>
#include <regex>

#include "common/strings.h"

namespace kata::runtime {
namespace {

bool enabled(const std::vector<std::string>& patterns, const std::string& key) {
  for (const std::string& pattern : patterns) {
    // The config loader compiled each pattern already; one that fails now enables nothing.
    try {
      if (std::regex_match(key, std::regex(pattern))) return true;
    } catch (const std::regex_error&) {
    }
  }
  return false;
}

Result<uint32_t> in_range(const std::string& name, const std::string& value, uint32_t lo,
                          uint32_t hi) {
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < lo || n > hi) {
    return Error(Code::kInvalidArgument, fmt_path("annotation", name) + ": `" + value +
                                             "` is not a number from " + std::to_string(lo) +
                                             " to " + std::to_string(hi));
  }
  return n;
}

}  // namespace

Result<config::Config> apply_sandbox_annotations(
    config::Config config, const std::map<std::string, std::string>& annotations) {
  for (const auto& [name, value] : annotations) {
    if (!starts_with(name, kHypervisorAnnotationPrefix)) continue;
    std::string key = name.substr(sizeof(kHypervisorAnnotationPrefix) - 1);
    if (!enabled(config.hypervisor.enable_annotations, key)) {
      return Error(
          Code::kInvalidArgument,
          fmt_path("annotation", name) + ": not enabled in [hypervisor.qemu] enable_annotations");
    }
    if (key == "default_vcpus") {
      KATA_ASSIGN_OR_RETURN(config.hypervisor.default_vcpus, in_range(name, value, 1, 255));
    } else if (key == "default_memory") {
      KATA_ASSIGN_OR_RETURN(config.hypervisor.default_memory,
                            in_range(name, value, 64, 4 * 1024 * 1024));
    } else {
      return Error(Code::kUnimplemented,
                   fmt_path("annotation", name) + ": not implemented in Kata++");
    }
  }
  return config;
}

}  // namespace kata::runtime
