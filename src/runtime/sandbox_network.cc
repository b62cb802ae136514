#include "runtime/sandbox_network.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <utility>

#include "common/log.h"
#include "runtime/network_convert.h"
#include "runtime/network_guest.h"

namespace kata::runtime {
namespace {

namespace net = resource::network;

std::array<uint8_t, 5> random_bytes() {
  std::random_device rd;
  std::array<uint8_t, 5> out{};
  for (uint8_t& b : out) b = static_cast<uint8_t>(rd());
  return out;
}

Result<net::NetNs> open_namespace(const std::string& path) {
  if (path.empty()) return net::NetNs::create();
  KATA_ASSIGN_OR_RETURN(net::NetNs ns, net::NetNs::open(path));
  // Docker names the host's own namespace by path for --net=host. Carrying its interfaces
  // into the VM would take the host's network away from it; the shim runs in the namespace
  // containerd runs in, the host's.
  KATA_ASSIGN_OR_RETURN(net::NetNs ours, net::NetNs::current());
  if (ns.inode() == ours.inode()) {
    return Error(Code::kFailedPrecondition,
                 fmt::format("network namespace {} is the host's own (host networking), which a "
                             "container in a VM cannot share",
                             path));
  }
  return ns;
}

}  // namespace

Result<std::unique_ptr<SandboxNetwork>> SandboxNetwork::open(const NetworkOptions& options) {
  if (options.model == config::InterNetworkingModel::kMacvtap) {
    // See docs/host-network.md, "macvtap: not done".
    return Error(Code::kUnimplemented,
                 "internetworking model `macvtap` is not implemented: its /dev/tap<ifindex> "
                 "node is in the host's /dev while ifindexes are per network namespace, so "
                 "sandboxes would open each other's devices; use `tcfilter`");
  }
  KATA_ASSIGN_OR_RETURN(net::NetNs ns, open_namespace(options.netns_path));
  // Not make_unique: the constructor is private. From here on, a failure tears down what
  // was made through the destructor.
  std::unique_ptr<SandboxNetwork> network(new SandboxNetwork(std::move(ns)));
  network->caller_netns_path_ = options.netns_path;
  if (options.model == config::InterNetworkingModel::kNone) return network;
  KATA_TRY(network->connect_all());
  if (network->connected_.empty()) KATA_TRY(network->make_spare());
  return network;
}

SandboxNetwork::~SandboxNetwork() {
  Status done = teardown();
  if (!done) log::warn("sandbox network: {}", done.error().message());
}

Status SandboxNetwork::connect_all() {
  KATA_ASSIGN_OR_RETURN(std::vector<net::Interface> ifaces, net::scan(*ns_));
  // All refused before anything is connected: the namespace stays as the caller gave it.
  for (const net::Interface& iface : ifaces) KATA_TRY(check_carriable(iface));
  for (net::Interface& iface : ifaces) {
    if (!carries_to_guest(iface)) continue;
    std::string tap = tap_name(connected_.size());
    Result<net::Connection> conn = net::connect(*ns_, iface.ifindex, tap);
    if (!conn) {
      return std::move(conn).error().context(
          fmt::format("connect interface `{}` to tap `{}`", iface.name, tap));
    }
    connected_.push_back({std::move(conn->tap), conn->redirect, std::move(iface)});
  }
  return {};
}

Status SandboxNetwork::make_spare() {
  std::string name = tap_name(0);
  Result<net::Tap> tap = net::make_tap(*ns_, name, kSpareTapMtu);
  if (!tap) return std::move(tap).error().context(fmt::format("make spare tap `{}`", name));
  spare_.emplace();
  spare_->tap = std::move(*tap);
  spare_->mac = placeholder_mac(random_bytes());
  return {};
}

int SandboxNetwork::netns_fd() const {
  std::lock_guard lock(mu_);
  return ns_ ? ns_->fd() : -1;
}

std::vector<hypervisor::qemu::NetDevice> SandboxNetwork::nics() const {
  std::lock_guard lock(mu_);
  std::vector<hypervisor::qemu::NetDevice> out;
  if (!ns_) return out;
  for (const Connected& c : connected_) out.push_back({c.tap.fd.get(), c.iface.mac, c.iface.mtu});
  if (spare_) out.push_back({spare_->tap.fd.get(), spare_->mac, 0, /*parked=*/true});
  return out;
}

Result<void> SandboxNetwork::configure_guest(agent_client::Agent& agent) {
  std::lock_guard lock(mu_);
  if (!ns_) return Error(Code::kFailedPrecondition, "configure guest network: torn down");
  std::vector<net::Interface> ifaces;
  for (const Connected& c : connected_) ifaces.push_back(c.iface);
  return configure_interfaces(agent, ifaces);
}

Result<bool> SandboxNetwork::link_spare() {
  KATA_ASSIGN_OR_RETURN(std::vector<net::Interface> ifaces, net::scan(*ns_));
  for (const net::Interface& iface : ifaces) KATA_TRY(check_carriable(iface));
  auto found = std::find_if(ifaces.begin(), ifaces.end(), carries_to_guest);
  if (found == ifaces.end()) return false;
  for (auto other = std::next(found); other != ifaces.end(); ++other) {
    if (!carries_to_guest(*other)) continue;
    // One spare NIC, one late interface: a VM's NICs are fixed at boot (no hot-plug yet).
    log::warn(
        "sandbox network: interface `{}` appeared after boot and is not attached; only "
        "`{}` gets the spare NIC",
        other->name, found->name);
  }
  Result<net::Redirect> linked = net::redirect(*ns_, spare_->tap.ifindex, found->ifindex);
  if (!linked) {
    return std::move(linked).error().context(
        fmt::format("link interface `{}` to spare tap `{}`", found->name, spare_->tap.name));
  }
  spare_->redirect = *linked;
  spare_->iface = std::move(*found);
  return true;
}

Result<void> SandboxNetwork::attach_late(agent_client::Agent& agent) {
  std::lock_guard lock(mu_);
  if (!ns_ || !spare_ || spare_->guest_configured) return {};
  if (!spare_->redirect) {
    KATA_ASSIGN_OR_RETURN(bool linked, link_spare());
    if (!linked) return {};
  }
  KATA_TRY(adopt_spare_nic(agent, spare_->mac, *spare_->iface));
  spare_->guest_configured = true;
  return {};
}

std::optional<NetworkState> SandboxNetwork::persisted_state() const {
  std::lock_guard lock(mu_);
  // A relative path would name another file from the cleanup's working directory.
  if (!ns_ || caller_netns_path_.empty() || caller_netns_path_[0] != '/') return std::nullopt;
  NetworkState state{caller_netns_path_, ns_->inode(), {}};
  for (const Connected& c : connected_) state.redirects.push_back(c.redirect);
  if (spare_ && spare_->redirect) state.redirects.push_back(*spare_->redirect);
  return state;
}

Result<void> SandboxNetwork::teardown() {
  std::lock_guard lock(mu_);
  return teardown_locked();
}

Status SandboxNetwork::teardown_locked() {
  if (!ns_) return {};
  std::vector<std::pair<net::Redirect, std::string>> redirects;
  for (const Connected& c : connected_) redirects.emplace_back(c.redirect, c.iface.name);
  if (spare_ && spare_->redirect) redirects.emplace_back(*spare_->redirect, spare_->iface->name);
  Status first;
  for (const auto& [r, name] : redirects) {
    Status undone = net::disconnect(*ns_, r);
    if (!undone && first) {
      first = std::move(undone).error().context(
          fmt::format("disconnect tap `{}` from interface `{}`", r.tap_name, name));
    }
  }
  // Closing the fds ends the taps that QEMU no longer holds.
  connected_.clear();
  spare_.reset();
  ns_.reset();
  return std::move(first).context("tear down sandbox network");
}

}  // namespace kata::runtime
