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
  // False when the veth already had an ingress (or clsact) qdisc, which then stays.
  bool veth_ingress_added = false;

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

// Removes the veth's filter, its ingress qdisc if redirect() added it, and the tap.
// Whatever is already gone (the veth deleted by CNI, the tap gone with its last fd) is not
// an error, so it can run again after a crash.
Status disconnect(const NetNs& ns, const Redirect& redirect);

}  // namespace kata::resource::network
