#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace kata::runtime::testing {

// An OCI bundle `dir/name` with a minimal valid config.json whose hostname is
// "host-<name>", with the namespaces `ctr run` asks for; `annotations` is the body of a
// JSON object.
inline std::string make_bundle(const std::string& dir, const std::string& name,
                               const std::string& annotations = "") {
  std::string bundle = dir + "/" + name;
  std::filesystem::create_directories(bundle + "/rootfs");
  std::ofstream(bundle + "/config.json")
      << R"({"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},)"
      << R"("root":{"path":"rootfs"},"hostname":"host-)" << name << R"(",)"
      << R"("linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},)"
      << R"({"type":"mount"},{"type":"network"}]},)"
      << R"("annotations":{)" << annotations << "}}";
  return bundle;
}

}  // namespace kata::runtime::testing
