#pragma once

// The "kata-direct" baseline of bench/net: a running Kata++ sandbox whose tap is a plain
// port of the CNI bridge, with no tc hop. Under TCG most of a packet's cost is the
// emulated guest, so kata/runc alone cannot show what our tcfilter plumbing costs; the
// same VM with the plumbing taken out can.
//
// No product code is involved in the switch: in the sandbox's namespace (QEMU's) the
// ingress qdiscs, and with them the redirect filters, come off the tap and the veth; the
// tap moves to the host's namespace (a tun device can, and QEMU keeps its fd) under a
// name of its own, joins the bridge and goes up; the veth's host end leaves the bridge,
// so that the bridge learns the guest's MAC on the tap only. restore() undoes it all,
// with the product's own redirect() for the filters, and checks that `tc` shows what it
// showed before: the kata figures after it and the sandbox's teardown see what Kata++
// made.

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "resource/network/netns.h"

namespace kata::bench {

class DirectBridge {
 public:
  // Switches the sandbox whose QEMU is `qemu_pid` (the task pid) onto `bridge`. On
  // failure what was done is undone.
  static Result<std::unique_ptr<DirectBridge>> attach(pid_t qemu_pid, const std::string& bridge);
  ~DirectBridge();  // restore(), if not done yet; errors go to stderr
  DirectBridge(const DirectBridge&) = delete;
  DirectBridge& operator=(const DirectBridge&) = delete;

  // Puts the sandbox back as Kata++ made it; runs every step even after a failed one
  // and reports the first failure.
  Status restore();
  // One line: which tap and veth, the names on the host.
  std::string describe() const;

 private:
  DirectBridge(resource::network::NetNs ns, pid_t qemu_pid, std::string bridge)
      : ns_(std::move(ns)), qemu_pid_(qemu_pid), bridge_(std::move(bridge)) {}
  Status switch_over();
  Status redirect_again();               // the product's tcfilter link between tap_ and veth_
  Result<std::string> tc_state() const;  // qdiscs, and the filters of tap_ and veth_
  Status same_tc_state() const;

  resource::network::NetNs ns_;
  pid_t qemu_pid_;
  std::string bridge_;
  std::string tap_, veth_, host_tap_, veth_peer_;
  std::string tc_before_;  // tc_state() as Kata++ made it
  int veth_ifindex_ = 0;
  // How far switch_over() got, so that restore() undoes exactly that.
  bool filters_removed_ = false, tap_moved_ = false, peer_detached_ = false;
};

}  // namespace kata::bench
