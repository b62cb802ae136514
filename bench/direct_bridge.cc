#include "direct_bridge.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "common/strings.h"
#include "resource/network/tc_filter.h"
#include "sys/subprocess.h"

namespace kata::bench {
namespace {

namespace net = resource::network;

// `argv` (ip or tc) in `ns`, or in ours when null; its stdout, or its stderr as the error.
Result<std::string> run(const net::NetNs* ns, const std::vector<std::string>& argv) {
  sys::SpawnOptions options{.argv = argv, .network_namespace_fd = ns ? ns->fd() : -1};
  KATA_ASSIGN_OR_RETURN(sys::CapturedOutput out,
                        sys::run_capture(std::move(options), std::chrono::seconds(30)));
  if (!out.status.success())
    return Error(Code::kInternal, fmt::format("`{}`{}: {}: {}", fmt::join(argv, " "),
                                              ns ? " in the sandbox's namespace" : "",
                                              out.status.describe(), trim(out.err)));
  return out.out;
}

struct Link {
  int index = 0;
  std::string name;
  int peer_index = 0;  // "eth0@if57": the veth's other end, in the host's namespace
  bool is_tap = false, is_veth = false;
};

// `ip -d -o link show`: one line per link, "3: tap0_kata: <...> ... \    tun type tap ...".
std::vector<Link> parse_links(const std::string& text) {
  std::vector<Link> links;
  for (const std::string& line : split(text, '\n')) {
    size_t colon = line.find(": ");
    size_t end = colon == std::string::npos ? colon : line.find(':', colon + 2);
    if (end == std::string::npos) continue;
    Link l;
    l.index = std::atoi(line.c_str());
    l.name = line.substr(colon + 2, end - colon - 2);
    if (size_t at = l.name.find("@if"); at != std::string::npos) {
      l.peer_index = std::atoi(l.name.c_str() + at + 3);
      l.name.resize(at);
    }
    l.is_tap = line.find(" tun type tap ") != std::string::npos;
    l.is_veth = line.find(" veth ") != std::string::npos;
    links.push_back(std::move(l));
  }
  return links;
}

std::string master_of(const std::string& host_link) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink("/sys/class/net/" + host_link + "/master", ec);
  return ec ? "" : target.filename().string();
}

}  // namespace

Result<std::unique_ptr<DirectBridge>> DirectBridge::attach(pid_t qemu_pid,
                                                           const std::string& bridge) {
  KATA_ASSIGN_OR_RETURN(net::NetNs ns,
                        net::NetNs::open("/proc/" + std::to_string(qemu_pid) + "/ns/net"));
  std::unique_ptr<DirectBridge> d(new DirectBridge(std::move(ns), qemu_pid, bridge));
  Status switched = d->switch_over();
  if (!switched) {
    Status undone = d->restore();
    if (!undone) std::fprintf(stderr, "net_bench: undo: %s\n", undone.error().message().c_str());
    return std::move(switched).error().context("bridge the tap directly");
  }
  return d;
}

Status DirectBridge::switch_over() {
  KATA_ASSIGN_OR_RETURN(std::string listing, run(&ns_, {"ip", "-d", "-o", "link", "show"}));
  std::vector<Link> taps, veths;
  for (Link& l : parse_links(listing)) {
    if (l.is_tap) taps.push_back(l);
    if (l.is_veth) veths.push_back(l);
  }
  if (taps.size() != 1 || veths.size() != 1)
    return Error(Code::kFailedPrecondition,
                 "want one tap and one veth in the sandbox's namespace, found:\n" + listing);
  tap_ = taps[0].name;
  veth_ = veths[0].name;
  veth_ifindex_ = veths[0].index;
  char peer[IF_NAMESIZE] = {};
  if (!::if_indextoname(static_cast<unsigned>(veths[0].peer_index), peer))
    return Error::from_errno(
        errno, fmt::format("the host end of {} (ifindex {})", veth_, veths[0].peer_index));
  veth_peer_ = peer;
  if (master_of(veth_peer_) != bridge_)
    return Error(
        Code::kFailedPrecondition,
        fmt::format("{}, the host end of {}, is not a port of {}", veth_peer_, veth_, bridge_));

  KATA_ASSIGN_OR_RETURN(tc_before_, tc_state());
  // Deleting an ingress qdisc deletes its filters: both redirects are gone.
  filters_removed_ = true;
  for (const std::string& dev : {veth_, tap_})
    KATA_TRY(run(&ns_, {"tc", "qdisc", "del", "dev", dev, "ingress"}));
  host_tap_ = fmt::format("kbnet{}", ::getpid() % 100000);
  KATA_TRY(run(&ns_, {"ip", "link", "set", "dev", tap_, "netns", std::to_string(::getpid()), "name",
                      host_tap_}));
  tap_moved_ = true;
  KATA_TRY(run(nullptr, {"ip", "link", "set", "dev", host_tap_, "master", bridge_, "up"}));
  peer_detached_ = true;
  KATA_TRY(run(nullptr, {"ip", "link", "set", "dev", veth_peer_, "nomaster"}));
  return {};
}

Status DirectBridge::restore() {
  Status first;
  auto keep = [&first](Status s) {
    if (!s && first) first = std::move(s);
  };
  auto step = [&keep](Result<std::string> r) { keep(r ? Status() : Status(std::move(r).error())); };
  if (peer_detached_) {
    step(run(nullptr, {"ip", "link", "set", "dev", veth_peer_, "master", bridge_}));
    peer_detached_ = false;
  }
  if (tap_moved_) {
    step(run(nullptr, {"ip", "link", "set", "dev", host_tap_, "nomaster"}));
    step(run(nullptr, {"ip", "link", "set", "dev", host_tap_, "netns", std::to_string(qemu_pid_),
                       "name", tap_}));
    step(run(&ns_, {"ip", "link", "set", "dev", tap_, "up"}));
    tap_moved_ = false;
  }
  if (filters_removed_) {
    keep(redirect_again());
    filters_removed_ = false;
    keep(same_tc_state());
  }
  return first;
}

Status DirectBridge::redirect_again() {
  // The tap's ifindex may have changed on the way back: the host had the old one in use.
  KATA_ASSIGN_OR_RETURN(int tap_index, ns_.run_in([&]() -> Result<int> {
    unsigned index = ::if_nametoindex(tap_.c_str());
    if (index == 0) return Error::from_errno(errno, "find " + tap_);
    return static_cast<int>(index);
  }));
  Result<net::Redirect> again = net::redirect(ns_, tap_index, veth_ifindex_);
  if (!again) return std::move(again).error().context("redirect " + tap_ + " and " + veth_);
  return {};
}

Result<std::string> DirectBridge::tc_state() const {
  // Qdiscs are listed by ifindex, which the tap's round trip may change: sorted.
  KATA_ASSIGN_OR_RETURN(std::string qdiscs, run(&ns_, {"tc", "qdisc", "show"}));
  std::vector<std::string> lines = split(qdiscs, '\n');
  std::sort(lines.begin(), lines.end());
  std::string state = fmt::format("{}\n", fmt::join(lines, "\n"));
  for (const std::string& dev : {veth_, tap_}) {
    KATA_ASSIGN_OR_RETURN(std::string filters,
                          run(&ns_, {"tc", "filter", "show", "dev", dev, "ingress"}));
    state += dev + ":\n" + filters;
  }
  return state;
}

// What restore() made must read as what Kata++ had made, or the figures after it (and
// the sandbox's teardown) would not be of the product's plumbing.
Status DirectBridge::same_tc_state() const {
  KATA_ASSIGN_OR_RETURN(std::string now, tc_state());
  if (now == tc_before_) return {};
  return Error(Code::kInternal,
               "tc after restore differs; before:\n" + tc_before_ + "after:\n" + now);
}

DirectBridge::~DirectBridge() {
  Status s = restore();
  if (!s) std::fprintf(stderr, "net_bench: restore: %s\n", s.error().message().c_str());
}

std::string DirectBridge::describe() const {
  return fmt::format("{} moved to the host as {}, a port of {}; {}'s host end {} off it", tap_,
                     host_tap_, bridge_, veth_, veth_peer_);
}

}  // namespace kata::bench
