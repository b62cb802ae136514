#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "resource/network/netns.h"
#include "resource/network/tap.h"

namespace kata::resource::network {

// The "tcfilter" internetworking model: a tap next to the veth (or any interface) that the
// CNI plugin put in the namespace, and on each of the two an ingress qdisc with a u32
// match-all filter whose action is `mirred egress redirect` to the other. Every frame the
// CNI side sends reaches the tap (and QEMU), every frame the guest sends leaves through
// the veth. No bridge, no address changes, the veth's MAC and MTU stay as CNI set them.
inline constexpr std::string_view kDefaultTapName = "tap0_kata";

// The filters' priority on the ingress hook: 1, ahead of anything else there, since the
// redirect takes every frame. It also names them: redirect() refuses a device that has a
// filter at this priority already, and disconnect() removes what is there.
inline constexpr int kRedirectPriority = 1;

// What redirect() changed, so that disconnect() removes exactly that and leaves a
// namespace it does not own (CNI's) as it found it. Plain data, for the sandbox state.
struct Redirect {
  int tap_ifindex = 0;
  std::string tap_name;  // disconnect() deletes the tap only if the ifindex still has it
  int veth_ifindex = 0;
  // remove_leftover() touches the veth only while the ifindex still has this name.
  std::string veth_name;
  // False when the veth already had an ingress (or clsact) qdisc, which then stays.
  bool veth_ingress_added = false;
  // The veth's tx queue length before: the kernel sets a device's 0 (a veth as the CNI
  // bridge plugin makes it) to 1000 when a qdisc is added, and keeps that when the qdisc
  // goes, so removing the qdisc we added sets it back.
  uint32_t veth_tx_queue_len = 0;
  // Of both filters. Recorded rather than assumed, so that a cleanup by a later version
  // with another kRedirectPriority still removes what this one added.
  int priority = kRedirectPriority;

  bool operator==(const Redirect&) const = default;
};

// Links an existing tap to `veth_ifindex` in both directions. Used directly when the tap
// was made at VM boot and the veth appeared later (`ctr run --cni` adds it after the task
// is created). On failure nothing it added remains.
Result<Redirect> redirect(const NetNs& ns, int tap_ifindex, int veth_ifindex);

struct Connection {
  Tap tap;  // tap.fd is what QEMU gets
  Redirect redirect;
};

// make_tap() with the veth's MTU (so the guest's MTU can match CNI's), then redirect().
Result<Connection> connect(const NetNs& ns, int veth_ifindex,
                           const std::string& tap_name = std::string(kDefaultTapName));

// Removes the veth's filter, its ingress qdisc if redirect() added it (restoring its tx
// queue length), and the tap.
// Whatever is already gone (the veth deleted by CNI, the tap gone with its last fd) is not
// an error, so it can run again after a crash.
Status disconnect(const NetNs& ns, const Redirect& redirect);

// What remove_leftover() did.
struct LeftoverRemoval {
  bool filter_removed = false;
  bool qdisc_removed = false;
  // Why something recorded was left in place ("" when nothing was): it is gone already,
  // or it is no longer ours.
  std::string left_alone;
};

// disconnect() after a crash (`containerd-shim-kata-v2 delete`), when all that is left is
// the record in the sandbox state and the namespace is the caller's, who may have reused
// it since. Removes only what is still ours:
// - the veth's filters at the recorded priority, if the veth's ifindex still carries its
//   recorded name and every filter there is a u32 whose actions are all `mirred egress
//   redirect` to the recorded tap, or to a device that is gone (the tap, which died with
//   the last holder of its fd: the dump then shows no device);
// - its ingress qdisc, if redirect() added it, it is an `ingress` qdisc (not somebody's
//   clsact) and no filter is left under it; then the tx queue length as it was;
// - the tap, as disconnect() does (only while its ifindex is a tun of the recorded name).
// Anything else there is left alone and said in `left_alone`; an error only for a
// netlink failure.
Result<LeftoverRemoval> remove_leftover(const NetNs& ns, const Redirect& redirect);

}  // namespace kata::resource::network
