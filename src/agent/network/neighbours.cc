#include "agent/network/neighbours.h"

#include <algorithm>

#include "common/net/address.h"

namespace kata::agent::network {

std::string describe(const Neighbour& n) {
  std::string out = to_string(n.ip);
  if (n.lladdr) out += " lladdr " + to_string(*n.lladdr);
  return out + " dev " + n.device;
}

Result<void> add_neighbours(GuestNetwork& net, std::vector<Neighbour> neighbours) {
  if (neighbours.empty()) return {};
  KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
  for (Neighbour& n : neighbours) {
    std::string what = "add neighbour " + describe(n);
    auto it =
        std::find_if(links.begin(), links.end(), [&](const Link& l) { return l.name == n.device; });
    if (it == links.end()) {
      return Error(Code::kNotFound, what + ": no link named `" + n.device + "`");
    }
    n.link_index = it->index;
    KATA_TRY(net.set_neighbour(n).context(what));
  }
  return {};
}

}  // namespace kata::agent::network
