#pragma once

// A CNI bridge network for `ctr run --cni`, on a private subnet that exists only on
// this machine: Debian's containernetworking-plugins (bridge, host-local, loopback)
// with the configuration where ctr reads it (/etc/cni/net.d, plugins in
// /opt/cni/bin). Whatever it adds is removed by its destructor: the files and
// directories it made, and the bridge the plugin created on the host.

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace kata::e2e {

inline constexpr const char* kCniPluginDir = "/usr/lib/cni";  // Debian's
inline constexpr const char* kCniSubnet = "10.99.7.0/24";
inline constexpr const char* kCniGateway = "10.99.7.1";

class CniEnv {
 public:
  // `state_dir`: where host-local keeps its leases (a test's own directory).
  static Result<std::unique_ptr<CniEnv>> install(const std::string& state_dir);
  ~CniEnv();
  CniEnv(const CniEnv&) = delete;
  CniEnv& operator=(const CniEnv&) = delete;

  // The address host-local leased to the container whose CNI id contains `id`
  // (ctr uses "<namespace>-<id>"); "" when none.
  std::string address_of(const std::string& id) const;

 private:
  CniEnv() = default;
  std::string ipam_dir_;
  std::vector<std::string> made_files_;  // removed first
  std::vector<std::string> made_dirs_;   // then these, deepest first
};

}  // namespace kata::e2e
