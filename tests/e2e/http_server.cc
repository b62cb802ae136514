#include "e2e/http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

namespace kata::e2e {
namespace {

Result<sockaddr_in> ipv4(const std::string& address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1)
    return Error(Code::kInvalidArgument, "not an IPv4 address: " + address);
  return sa;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& address,
                                                      std::string body) {
  std::unique_ptr<HttpServer> s(new HttpServer);
  s->body_ = std::move(body);
  std::string what = "serve HTTP on " + address;
  KATA_ASSIGN_OR_RETURN(sockaddr_in sa, ipv4(address, 0));
  s->listen_fd_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  s->stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  if (!s->listen_fd_ || !s->stop_fd_) return Error::from_errno(errno, what);
  socklen_t len = sizeof sa;
  if (::bind(s->listen_fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(s->listen_fd_.get(), 16) != 0 ||
      ::getsockname(s->listen_fd_.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return Error::from_errno(errno, what);
  s->port_ = ntohs(sa.sin_port);
  s->thread_ = std::thread([raw = s.get()] { raw->serve(); });
  return s;
}

HttpServer::~HttpServer() {
  uint64_t one = 1;
  if (::write(stop_fd_.get(), &one, sizeof one) < 0) {
    // Cannot happen with a valid eventfd; the join below would then hang, so say why.
    perror("HttpServer: stop");
  }
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> HttpServer::clients() const {
  std::lock_guard lock(mu_);
  return clients_;
}

void HttpServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    UniqueFd conn(
        ::accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
    if (!conn) continue;
    char text[INET_ADDRSTRLEN] = "";
    ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
    {
      std::lock_guard lock(mu_);
      clients_.push_back(text);
    }
    answer(std::move(conn));
  }
}

void HttpServer::answer(UniqueFd conn) {
  // A client that never finishes its request must not stall the thread for long.
  timeval timeout{5, 0};
  (void)::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string request;
  char buf[1024];
  while (request.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(conn.get(), buf, sizeof buf, 0);
    if (n <= 0) return;
    request.append(buf, n);
  }
  std::string reply =
      fmt::format("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{}",
                  body_.size(), body_);
  (void)::send(conn.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
}

std::string http_get(const std::string& address, uint16_t port, const std::string& path) {
  Result<sockaddr_in> sa = ipv4(address, port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval timeout{5, 0};
  // SO_SNDTIMEO bounds connect() too: an address nobody answers fails in 5 s, not minutes.
  if (!sa || !fd ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) != 0 ||
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa) != 0)
    return "";
  std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) return "";
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0;) out.append(buf, n);
  return out;
}

std::string fetch_until_ok(const std::string& address, uint16_t port, const std::string& path,
                           std::chrono::milliseconds timeout) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(500))) {
    std::string page = http_get(address, port, path);
    if (page.find("200 OK") != std::string::npos) return page;
  }
  return "";
}

}  // namespace kata::e2e
