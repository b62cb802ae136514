#include "agent/network/link_stats.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "common/fs.h"
#include "common/strings.h"

namespace kata::agent::network {
namespace {

// Receive: bytes packets errs drop fifo frame compressed multicast;
// Transmit: bytes packets errs drop fifo colls carrier compressed.
constexpr size_t kColumns = 16;
constexpr size_t kTxFirst = 8;

Error bad_line(std::string_view line, std::string_view why) {
  return Error(Code::kInvalidArgument, fmt::format("line `{}`: {}", trim(line), why));
}

Result<LinkStats> parse_line(std::string_view line) {
  // Names cannot hold ':' (dev_valid_name), and large counters may touch it: "eth0:123".
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bad_line(line, "no `name:`");
  LinkStats out;
  out.name = std::string(trim(line.substr(0, colon)));
  if (out.name.empty()) return bad_line(line, "empty interface name");
  std::vector<std::string> fields = split(line.substr(colon + 1), ' ');
  if (fields.size() < kColumns) {
    return bad_line(line, fmt::format("{} counters, want {}", fields.size(), kColumns));
  }
  std::array<uint64_t, kColumns> v{};
  for (size_t i = 0; i < kColumns; ++i) {
    const std::string& f = fields[i];
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v[i]);
    if (ec != std::errc() || end != f.data() + f.size()) {
      return bad_line(line, fmt::format("counter `{}` is not a number", f));
    }
  }
  out.rx_bytes = v[0];
  out.rx_packets = v[1];
  out.rx_errors = v[2];
  out.rx_dropped = v[3];
  out.tx_bytes = v[kTxFirst];
  out.tx_packets = v[kTxFirst + 1];
  out.tx_errors = v[kTxFirst + 2];
  out.tx_dropped = v[kTxFirst + 3];
  return out;
}

}  // namespace

Result<std::vector<LinkStats>> parse_proc_net_dev(std::string_view text) {
  std::vector<LinkStats> out;
  for (const std::string& line : split(text, '\n')) {
    // The two header lines are the only ones with column separators.
    if (trim(line).empty() || line.find('|') != std::string::npos) continue;
    KATA_ASSIGN_OR_RETURN(LinkStats link, parse_line(line));
    out.push_back(std::move(link));
  }
  return out;
}

Result<std::vector<LinkStats>> read_link_stats(const std::string& path) {
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  Result<std::vector<LinkStats>> links = parse_proc_net_dev(text);
  if (!links) return std::move(links).error().context(fmt_path("read interface counters", path));
  std::erase_if(*links, [](const LinkStats& l) { return l.name == "lo"; });
  return links;
}

}  // namespace kata::agent::network
