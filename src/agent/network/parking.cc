#include "agent/network/parking.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "common/net/address.h"

namespace kata::agent::network {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(20);

Result<void> park_one(GuestNetwork& net, const std::string& text,
                      std::chrono::steady_clock::time_point deadline) {
  KATA_ASSIGN_OR_RETURN(MacAddress parsed, net::parse_mac(text));
  std::string mac = net::to_string(parsed);
  while (true) {
    KATA_ASSIGN_OR_RETURN(std::vector<Link> links, net.list_links());
    auto it =
        std::find_if(links.begin(), links.end(), [&](const Link& l) { return l.hw_addr == mac; });
    if (it != links.end()) return net.park_link(it->index).context("park " + it->name);
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  return Error(Code::kNotFound, "no link has it");
}

}  // namespace

Result<void> park_nics(GuestNetwork& net, const std::vector<std::string>& macs,
                       std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<std::string> failed;
  for (const std::string& mac : macs) {
    Result<void> parked = park_one(net, mac, deadline);
    if (!parked) failed.push_back(fmt::format("{}: {}", mac, parked.error().message()));
  }
  if (failed.empty()) return {};
  return Error(Code::kFailedPrecondition, fmt::format("park NIC {}", fmt::join(failed, "; ")));
}

}  // namespace kata::agent::network
