#include "runtime/network_leftovers.h"

#include <fmt/format.h>

#include "resource/network/netns.h"
#include "resource/network/tc_filter.h"

namespace kata::runtime {
namespace {

namespace net = resource::network;

std::string describe(const net::Redirect& r, const net::LeftoverRemoval& done) {
  std::string what = fmt::format("redirect between `{}` and tap `{}`:", r.veth_name, r.tap_name);
  if (done.filter_removed) what += " filter removed;";
  if (done.qdisc_removed) what += " ingress qdisc removed;";
  if (!done.left_alone.empty()) what += " left alone: " + done.left_alone;
  if (!done.filter_removed && !done.qdisc_removed && done.left_alone.empty()) {
    what += " nothing left";
  }
  return what;
}

}  // namespace

Result<LeftoverReport> remove_network_leftovers(const NetworkState& state) {
  const std::string what = fmt::format("remove network leftovers in `{}`", state.netns_path);
  LeftoverReport report;
  Result<net::NetNs> ns = net::NetNs::open(state.netns_path);
  if (!ns) {
    // The caller deleted its namespace (CNI DEL, `ip netns del`): our filters went with it.
    // Whatever else fails to open here is not a namespace of ours either.
    report.lines.push_back(fmt::format("namespace `{}` not opened ({}): nothing of ours there",
                                       state.netns_path, ns.error().message()));
    return report;
  }
  if (ns->inode() != state.netns_inode) {
    report.lines.push_back(
        fmt::format("`{}` is another namespace now (inode {}, ours was {}): nothing of ours there",
                    state.netns_path, ns->inode(), state.netns_inode));
    return report;
  }
  Status first;
  for (const net::Redirect& r : state.redirects) {
    Result<net::LeftoverRemoval> done = net::remove_leftover(*ns, r);
    if (done) {
      report.lines.push_back(describe(r, *done));
    } else if (first) {
      first = std::move(done).error().context(what);
    }
  }
  if (!first) return std::move(first).error();
  return report;
}

}  // namespace kata::runtime
