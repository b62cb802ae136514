#pragma once

// The sandbox's network, from the namespace the container tool prepared to the guest's
// NICs, in the tcfilter model (docs/host-network.md): each interface a CNI plugin left
// there gets a tap that QEMU reads, linked to it by tc redirects, and the guest agent is
// told its MAC, name, MTU, addresses, routes and neighbours.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent_client/agent.h"
#include "common/result.h"
#include "config/config.h"
#include "hypervisor/qemu/vm_config.h"
#include "resource/network/netns.h"
#include "resource/network/scan.h"
#include "resource/network/tap.h"
#include "resource/network/tc_filter.h"
#include "runtime/sandbox_state.h"

namespace kata::runtime {

struct NetworkOptions {
  // The spec's network namespace path; "" creates a fresh one (as runc would for the
  // container), where the VM then has no NIC but a spare.
  std::string netns_path;
  config::InterNetworkingModel model = config::InterNetworkingModel::kTcFilter;
};

// The MTU of the spare tap made when the namespace has no interface yet.
inline constexpr uint32_t kSpareTapMtu = 1500;

// Thread-safe: the sandbox service may start a container while another thread stops the
// sandbox.
class SandboxNetwork {
 public:
  // Opens (or creates) the namespace and holds it: QEMU runs in it. kNone attaches
  // nothing. kTcFilter first refuses a namespace holding an interface that
  // check_carriable() refuses (before anything is added there), then connects every
  // interface that carries_to_guest() (network_convert.h) to a tap of its own
  // (tap<N>_kata, with the interface's MTU); if there is none yet, it makes one spare tap
  // for an interface that appears before the first container starts (`ctr run --cni` adds
  // it after the task is created). kMacvtap is UNIMPLEMENTED.
  static Result<std::unique_ptr<SandboxNetwork>> open(const NetworkOptions& options);

  SandboxNetwork(const SandboxNetwork&) = delete;
  SandboxNetwork& operator=(const SandboxNetwork&) = delete;
  ~SandboxNetwork();  // teardown() if not done

  // The namespace to spawn QEMU into; -1 after teardown().
  int netns_fd() const;

  // One per tap, in tap order: the tap fd (borrowed, valid while this object lives and
  // until teardown()), the interface's MAC and MTU. The spare has a random placeholder
  // MAC and MTU 0 (no host_mtu), so that the guest NIC can take whatever MTU the late
  // interface has, and is parked: the guest keeps it from the containers until then.
  std::vector<hypervisor::qemu::NetDevice> nics() const;

  // Once the agent is up, before any container: each connected interface's MAC, name,
  // MTU and addresses, then their routes and permanent neighbours (network_guest.h).
  Result<void> configure_guest(agent_client::Agent& agent);

  // At a container's start: if the spare tap has no interface yet, scans again and links
  // the first new one to it, then has the guest's spare NIC take its MAC, name, MTU,
  // addresses, routes and neighbours. Nothing new: nothing done. Once done, does nothing;
  // after a failure in the guest, the next call tries the guest part again.
  Result<void> attach_late(agent_client::Agent& agent);

  // What `containerd-shim-kata-v2 delete` must take off the namespace if this process
  // dies (remove_network_leftovers(), network_leftovers.h): the redirects made so far, for
  // a namespace the caller owns and names by an absolute path. nullopt for a namespace we
  // created (it ends with its last holder) and after teardown().
  std::optional<NetworkState> persisted_state() const;

  // Removes the redirects from the interfaces (the namespace stays as the CNI left it),
  // closes the taps and the namespace. Runs once (later calls do nothing); works when the
  // VM is already gone. Goes on past an error and reports the first.
  Result<void> teardown();

 private:
  // A tap linked to an interface that was there at boot.
  struct Connected {
    resource::network::Tap tap;
    resource::network::Redirect redirect;
    resource::network::Interface iface;  // as scanned then
  };
  // The tap made at boot for an interface that was not there yet.
  struct Spare {
    resource::network::Tap tap;
    std::string mac;  // the placeholder the guest NIC boots with
    // Once attach_late() found an interface: the link to it, and the interface as scanned.
    std::optional<resource::network::Redirect> redirect;
    std::optional<resource::network::Interface> iface;
    bool guest_configured = false;  // the guest NIC took the interface's settings
  };

  explicit SandboxNetwork(resource::network::NetNs ns) : ns_(std::move(ns)) {}
  Status connect_all();
  Status make_spare();
  // Links the spare tap to the first new interface, if any: false when there is none.
  Result<bool> link_spare();
  Status teardown_locked();

  mutable std::mutex mu_;
  std::optional<resource::network::NetNs> ns_;  // empty after teardown
  std::string caller_netns_path_;               // "" for a namespace we created
  std::vector<Connected> connected_;
  std::optional<Spare> spare_;
};

}  // namespace kata::runtime
