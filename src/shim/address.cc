#include "shim/address.h"

#include <vector>

#include "shim/sha256.h"

namespace kata::shim {

std::string clean_path(const std::string& path) {
  if (path.empty()) return ".";
  bool rooted = path.front() == '/';
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);  // a relative path keeps its leading ".."
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string socket_address(const std::string& containerd_address, const std::string& ns,
                           const std::string& id, const std::string& state_dir) {
  std::string digest = sha256_hex(clean_path(containerd_address + "/" + ns + "/" + id));
  return "unix://" + clean_path(state_dir + "/s") + "/" + digest;
}

Result<std::string> socket_path(const std::string& address) {
  constexpr std::string_view kUnix = "unix://";
  if (address.starts_with(kUnix)) return address.substr(kUnix.size());
  if (address.find("://") != std::string::npos) {
    return Error(Code::kInvalidArgument, "unsupported shim address `" + address + "`");
  }
  return address;
}

}  // namespace kata::shim
