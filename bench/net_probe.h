#pragma once

// The host side of bench/net: plain TCP sockets against the busybox tools in a
// container (nc, dd, httpd). Each call opens its own connection, so that a stuck path
// shows up as a timeout rather than a hang, and measures only the transfer itself: the
// container's fork and exec of its end are outside the timed window.

#include <cstddef>
#include <string>

#include "common/result.h"

namespace kata::bench {

// The container's dd block size: stream lengths are multiples of it.
inline constexpr size_t kBlockBytes = 64 * 1024;

// Megabytes (10^6 bytes) per second.
struct Throughput {
  size_t bytes = 0;
  double seconds = 0;
  double mb_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0; }
};

// Host → container: connects to `address`:`port`, whose server first writes one line
// ("ready") and then reads until EOF and closes; sends `bytes`, half-closes, and stops
// the clock at the server's close, when every byte was read by the container's process.
Result<Throughput> send_stream(const std::string& address, int port, size_t bytes);

// Container → host: connects to `address`:`port` and sends one line, the number of
// kBlockBytes blocks wanted; the server writes them and closes. The clock runs from the
// first byte to EOF, over the bytes after the first read.
Result<Throughput> receive_stream(const std::string& address, int port, size_t bytes);

// One HTTP/1.0 GET of `/` on a new connection, connect to EOF; the answer must be a 200.
Result<double> http_get_ms(const std::string& address, int port);

// Retries http_get_ms until a 200 or `seconds` pass (the server starting).
Result<void> wait_for_http(const std::string& address, int port, int seconds);

// The median of `requests` sequential http_get_ms, in milliseconds.
Result<double> median_http_ms(const std::string& address, int port, int requests);

}  // namespace kata::bench
