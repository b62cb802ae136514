#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::agent_client {

// Where the agent listens, seen from the host:
//   serial:///run/kata-containers/ID/agent.sock   QEMU chardev of the virtio-serial port
//   vsock://CID:PORT                              vhost-vsock
//   hvsock:///path/to/muxer.sock:PORT             hybrid vsock (unix socket + "CONNECT PORT\n")
struct AgentAddress {
  enum class Kind { kSerial, kVsock, kHybridVsock };
  Kind kind = Kind::kSerial;
  std::string path;   // serial, hvsock
  uint32_t cid = 0;   // vsock
  uint32_t port = 0;  // vsock, hvsock

  std::string to_string() const;
};

Result<AgentAddress> parse_agent_address(std::string_view uri);

}  // namespace kata::agent_client
