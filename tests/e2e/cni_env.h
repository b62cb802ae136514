#pragma once

// A CNI bridge network on a private subnet that exists only on this machine, with
// Debian's containernetworking-plugins (bridge, host-local, portmap, loopback), used two
// ways:
// - by containerd's `ctr run --cni`: the configuration where ctr reads it
//   (/etc/cni/net.d, plugins in /opt/cni/bin);
// - as CRI and podman use CNI: the harness makes a named network namespace and runs the
//   conflist's plugins itself (the CNI 1.0 exec protocol), for `ctr run --with-ns
//   network:PATH`.
// Whatever it adds is removed by its destructor: the files and directories it made, the
// bridge the plugin created on the host, and portmap's chains in the nat table when the
// host had none before.

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace kata::e2e {

inline constexpr const char* kCniPluginDir = "/usr/lib/cni";  // Debian's
inline constexpr const char* kCniSubnet = "10.99.7.0/24";
inline constexpr const char* kCniGateway = "10.99.7.1";
inline constexpr const char* kCniBridge = "kata-e2e0";

// One entry of the portmap plugin's runtimeConfig.portMappings.
struct PortMapping {
  int host_port = 0;
  int container_port = 0;
  std::string protocol = "tcp";
};

// What the chain's ADD reported for the interface it put in the namespace (CNI_IFNAME).
struct CniResult {
  std::string json;     // the whole final result, for messages
  std::string ifname;   // "eth0"
  std::string mac;      // as the plugin wrote it: lower-case "aa:bb:..."
  int mtu = 0;          // 0: the result has none (CNI 1.0 has no field for it)
  std::string address;  // "10.99.7.5/24"
  // The next hop of the route to 0.0.0.0/0: its gw, else the gateway of the address.
  std::string default_gateway;
};

// A network namespace made by the harness (an nsfs bind mount) and set up by the
// conflist's plugins. remove() (or the destructor, best effort) runs DEL through the
// chain and removes the namespace.
class CniNamespace {
 public:
  ~CniNamespace();
  CniNamespace(const CniNamespace&) = delete;
  CniNamespace& operator=(const CniNamespace&) = delete;

  const std::string& path() const { return path_; }
  const std::string& container_id() const { return container_id_; }
  const CniResult& result() const { return result_; }
  // DEL (chain in reverse, with the ADD's result as prevResult), then the bind mount
  // and its file. Everything is attempted; the first error is returned. Idempotent.
  Result<void> remove();

 private:
  friend class CniEnv;
  CniNamespace() = default;

  std::string conflist_;
  std::vector<PortMapping> ports_;
  std::string path_;
  std::string container_id_;
  std::string result_json_;  // prevResult of DEL
  CniResult result_;
  bool added_ = false;    // the chain's ADD ran (even partly): DEL is due
  bool mounted_ = false;  // the nsfs bind mount is in place
  bool removed_ = false;
};

class CniEnv {
 public:
  // `state_dir`: where host-local keeps its leases and the harness its namespaces (a
  // test's own directory).
  static Result<std::unique_ptr<CniEnv>> install(const std::string& state_dir);
  ~CniEnv();
  CniEnv(const CniEnv&) = delete;
  CniEnv& operator=(const CniEnv&) = delete;

  // The address host-local leased to the container whose CNI id contains `id`
  // (ctr uses "<namespace>-<id>"); "" when none.
  std::string address_of(const std::string& id) const;

  // A fresh namespace `<state_dir>/netns/<container_id>` with the chain's ADD run in it
  // (CNI_IFNAME eth0, `ports` as portmap's runtimeConfig) and loopback's ADD for lo, as
  // CRI does.
  Result<std::unique_ptr<CniNamespace>> add_namespace(const std::string& container_id,
                                                      const std::vector<PortMapping>& ports = {});

 private:
  CniEnv() = default;
  std::string state_dir_;
  std::string ipam_dir_;
  std::string conflist_;
  bool owns_portmap_chains_ = false;     // none before install: ours to remove
  std::vector<std::string> made_files_;  // removed first
  std::vector<std::string> made_dirs_;   // then these, deepest first
};

}  // namespace kata::e2e
