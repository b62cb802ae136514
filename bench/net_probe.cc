#include "net_probe.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "bare_boot.h"
#include "common/unique_fd.h"
#include "e2e/http_server.h"

namespace kata::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Long enough for a slow TCG guest, short enough that a broken path ends the run.
constexpr timeval kIoTimeout{60, 0};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Result<UniqueFd> connect_to(const std::string& address, int port) {
  std::string what = fmt::format("connect to {}:{}", address, port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno(errno, what);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1)
    return Error(Code::kInvalidArgument, what + ": not an IPv4 address");
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &kIoTimeout, sizeof kIoTimeout) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &kIoTimeout, sizeof kIoTimeout) != 0)
    return Error::from_errno(errno, what + ": set timeouts");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return Error::from_errno(errno, what);
  return fd;
}

// Reads until EOF; the byte count.
Result<size_t> drain(int fd, const std::string& what) {
  std::vector<char> buf(1 << 16);
  size_t total = 0;
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n == 0) return total;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, what);
    total += static_cast<size_t>(n);
  }
}

}  // namespace

Result<Throughput> send_stream(const std::string& address, int port, size_t bytes) {
  std::string what = fmt::format("send {} bytes to {}:{}", bytes, address, port);
  KATA_ASSIGN_OR_RETURN(UniqueFd fd, connect_to(address, port));
  // The server's line says its reader is running: the clock starts with the data.
  char ready[16];
  ssize_t got = ::recv(fd.get(), ready, sizeof ready, 0);
  if (got <= 0)
    return Error::from_errno(got == 0 ? ECONNRESET : errno, what + ": wait for the ready line");
  std::vector<char> chunk(1 << 16, 'x');
  auto start = Clock::now();
  for (size_t sent = 0; sent < bytes;) {
    size_t len = std::min(chunk.size(), bytes - sent);
    ssize_t n = ::send(fd.get(), chunk.data(), len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, fmt::format("{}: after {} bytes", what, sent));
    sent += static_cast<size_t>(n);
  }
  if (::shutdown(fd.get(), SHUT_WR) != 0) return Error::from_errno(errno, what + ": half-close");
  KATA_TRY(drain(fd.get(), what + ": wait for the server's close"));
  return Throughput{bytes, seconds_since(start)};
}

Result<Throughput> receive_stream(const std::string& address, int port, size_t bytes) {
  std::string what = fmt::format("receive {} bytes from {}:{}", bytes, address, port);
  if (bytes == 0 || bytes % kBlockBytes != 0)
    return Error(Code::kInvalidArgument, what + ": not a whole number of blocks");
  KATA_ASSIGN_OR_RETURN(UniqueFd fd, connect_to(address, port));
  std::string count = fmt::format("{}\n", bytes / kBlockBytes);
  if (::send(fd.get(), count.data(), count.size(), MSG_NOSIGNAL) < 0)
    return Error::from_errno(errno, what + ": ask");
  char first[1 << 16];
  ssize_t n = ::recv(fd.get(), first, sizeof first, 0);
  if (n <= 0) return Error::from_errno(n == 0 ? ECONNRESET : errno, what + ": first byte");
  auto start = Clock::now();
  KATA_ASSIGN_OR_RETURN(size_t rest, drain(fd.get(), what));
  double secs = seconds_since(start);
  if (static_cast<size_t>(n) + rest != bytes)
    return Error(Code::kDataLoss, fmt::format("{}: got {}", what, static_cast<size_t>(n) + rest));
  return Throughput{rest, secs};
}

Result<double> http_get_ms(const std::string& address, int port) {
  auto start = Clock::now();
  std::string answer = e2e::http_get(address, static_cast<uint16_t>(port));
  double ms = 1000 * seconds_since(start);
  if (answer.find(" 200 ") == std::string::npos) {
    return Error(Code::kInternal, fmt::format("GET http://{}:{}/: answered `{}`", address, port,
                                              answer.substr(0, 80)));
  }
  return ms;
}

Result<void> wait_for_http(const std::string& address, int port, int seconds) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    Result<double> got = http_get_ms(address, port);
    if (got) return {};
    if (Clock::now() > deadline) return std::move(got).error().context("wait for httpd");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

Result<double> median_http_ms(const std::string& address, int port, int requests) {
  std::vector<double> ms;
  for (int i = 0; i < requests; ++i) {
    KATA_ASSIGN_OR_RETURN(double one, http_get_ms(address, port));
    ms.push_back(one);
  }
  return median(std::move(ms));
}

}  // namespace kata::bench
