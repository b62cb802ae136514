#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::agent {

// Finds where one host client ends and the next begins in the bytes the host
// sends over virtio-serial. The guest cannot always see a reconnect: when the
// host closes and reopens the port quickly, virtio_console processes "closed"
// and "open" together and a blocked read never returns EOF. But a ttRPC client
// numbers its requests with increasing stream ids from 1, so a request whose
// id does not increase starts a new client.
class HostStreamTracker {
 public:
  // Moves the bytes of `in` that belong to the current client to the end of
  // `out` and drops them from `in`; an incomplete frame header stays in `in`.
  // Returns true when it stopped at the first frame of a new client (still in
  // `in`): the caller starts a fresh session, calls reset() and calls again.
  bool forward(std::string& in, std::string& out);
  // Forgets the current client: the next byte starts its first frame.
  void reset();

 private:
  uint64_t payload_left_ = 0;
  bool seen_request_ = false;
  uint32_t last_request_id_ = 0;
};

using ServeFn = std::function<void(UniqueFd)>;

// Serves a virtio-serial port: each host client gets its own session, a
// socketpair whose other end `serve` (a ttRPC server) reads on a session
// thread, so every client starts with fresh connection state and no reply of a
// gone client reaches the next one. While no host is connected the port polls
// POLLHUP at once, so the relay sleeps with a short backoff instead of
// spinning. Returns on a port error, or when `stop_fd` (optional) is readable.
Result<void> relay_serial_port(UniqueFd port, const ServeFn& serve, int stop_fd = -1);

// Opens the port at `path` and relays it forever (see relay_serial_port).
Result<void> serve_serial_port(const std::string& path, const ServeFn& serve);

}  // namespace kata::agent
