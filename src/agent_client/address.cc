#include "agent_client/address.h"

#include <charconv>

#include "common/strings.h"

namespace kata::agent_client {
namespace {

Result<uint32_t> parse_u32(std::string_view s, std::string_view what, std::string_view uri) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Error(Code::kInvalidArgument,
                 "parse agent address `" + std::string(uri) + "`: bad " + std::string(what));
  }
  return v;
}

Error bad(std::string_view uri, std::string_view why) {
  return Error(Code::kInvalidArgument,
               "parse agent address `" + std::string(uri) + "`: " + std::string(why));
}

}  // namespace

std::string AgentAddress::to_string() const {
  switch (kind) {
    case Kind::kSerial:
      return "serial://" + path;
    case Kind::kVsock:
      return "vsock://" + std::to_string(cid) + ":" + std::to_string(port);
    case Kind::kHybridVsock:
      return "hvsock://" + path + ":" + std::to_string(port);
  }
  return {};
}

Result<AgentAddress> parse_agent_address(std::string_view uri) {
  AgentAddress a;
  if (starts_with(uri, "serial://")) {
    a.kind = AgentAddress::Kind::kSerial;
    a.path = std::string(uri.substr(9));
    if (a.path.empty() || a.path[0] != '/') return bad(uri, "the path must be absolute");
    return a;
  }
  bool hybrid = starts_with(uri, "hvsock://");
  if (!hybrid && !starts_with(uri, "vsock://")) {
    return bad(uri, "unknown scheme (want serial://, vsock:// or hvsock://)");
  }
  std::string_view rest = uri.substr(hybrid ? 9 : 8);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return bad(uri, "missing :PORT");
  KATA_ASSIGN_OR_RETURN(a.port, parse_u32(rest.substr(colon + 1), "port", uri));
  if (hybrid) {
    a.kind = AgentAddress::Kind::kHybridVsock;
    a.path = std::string(rest.substr(0, colon));
    if (a.path.empty() || a.path[0] != '/') return bad(uri, "the path must be absolute");
  } else {
    a.kind = AgentAddress::Kind::kVsock;
    KATA_ASSIGN_OR_RETURN(a.cid, parse_u32(rest.substr(0, colon), "cid", uri));
  }
  return a;
}

}  // namespace kata::agent_client
