#pragma once

// Plain-socket HTTP for the network tests, both sides on the host: a one-page server on
// a thread (for containers to fetch from), and a GET (Debian's static busybox wget
// crashes in its name lookup on the host, and with -T anywhere).

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::e2e {

class HttpServer {
 public:
  // Listens on `address` at a port the kernel picks, answering every request with 200
  // and `body`.
  static Result<std::unique_ptr<HttpServer>> start(const std::string& address, std::string body);
  ~HttpServer();  // stops the thread and closes the socket
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  // The addresses requests came from, in order.
  std::vector<std::string> clients() const;

 private:
  HttpServer() = default;
  void serve();
  void answer(UniqueFd conn);

  std::string body_;
  UniqueFd listen_fd_;
  UniqueFd stop_fd_;  // an eventfd: readable when the destructor wants the thread gone
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<std::string> clients_;
  std::thread thread_;
};

// One `GET path HTTP/1.0` of address:port with a 5 s receive timeout: the whole answer,
// "" on any failure.
std::string http_get(const std::string& address, uint16_t port, const std::string& path = "/");

// http_get retried until the answer says 200 OK (a server still starting), "" after
// `timeout`.
std::string fetch_until_ok(const std::string& address, uint16_t port, const std::string& path,
                           std::chrono::milliseconds timeout);

}  // namespace kata::e2e
