#include "hypervisor/testing/fake_qmp_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "sys/fd_io.h"

namespace kata::hypervisor::testing {
namespace {

using nlohmann::json;

void send_line(int fd, const std::string& line) {
  (void)sys::write_all(fd, line + "\r\n", sys::deadline_after(std::chrono::seconds(5)));
}

json greeting(const std::string& version) {
  int major = 0, minor = 0, micro = 0;
  std::sscanf(version.c_str(), "%d.%d.%d", &major, &minor, &micro);
  return {
      {"QMP",
       {{"version",
         {{"qemu", {{"major", major}, {"minor", minor}, {"micro", micro}}}, {"package", "fake"}}},
        {"capabilities", json::array({"oob"})}}}};
}

}  // namespace

FakeQmpServer::~FakeQmpServer() { stop(); }

void FakeQmpServer::start(UniqueFd fd) {
  thread_ = std::thread([this, f = std::move(fd)]() mutable { serve(std::move(f)); });
}

void FakeQmpServer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (serving_fd_ >= 0) ::shutdown(serving_fd_, SHUT_RDWR);
  }
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> FakeQmpServer::commands() const {
  std::lock_guard lock(mu_);
  return commands_;
}

void FakeQmpServer::serve(UniqueFd fd) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    serving_fd_ = fd.get();
  }
  if (send_greeting) send_line(fd.get(), greeting(greeting_version).dump());
  std::string buffer;
  bool open = true;
  while (open) {
    auto chunk = sys::read_some(fd.get(), 4096, sys::deadline_after(std::chrono::hours(1)));
    if (!chunk || chunk->empty()) break;
    buffer += *chunk;
    size_t nl;
    while (open && (nl = buffer.find('\n')) != std::string::npos) {
      json request = json::parse(buffer.substr(0, nl), nullptr, false);
      buffer.erase(0, nl + 1);
      open = handle(fd.get(), request);
    }
  }
  std::lock_guard lock(mu_);
  serving_fd_ = -1;
}

// Returns false when the connection should end.
bool FakeQmpServer::handle(int fd, const json& request) {
  std::string command = request.is_object() ? request.value("execute", "") : "";
  {
    std::lock_guard lock(mu_);
    commands_.push_back(command);
  }
  if (never_answer) return true;
  for (const json& e : events_before_reply) send_line(fd, e.dump());
  if (!garbage_reply.empty()) {
    send_line(fd, garbage_reply);
    return true;
  }
  json reply;
  if (auto it = errors.find(command); it != errors.end()) {
    reply = {{"error", {{"class", "GenericError"}, {"desc", it->second}}}};
  } else if (auto r = returns.find(command); r != returns.end()) {
    reply = {{"return", r->second}};
  } else if (command == "query-status") {
    reply = {{"return", {{"status", status}, {"running", status == "running"}}}};
  } else {
    reply = {{"return", json::object()}};
  }
  if (request.contains("id")) reply["id"] = request["id"];
  send_line(fd, reply.dump());
  if (command == "quit" && exit_on_quit) {
    json shutdown = {{"event", "SHUTDOWN"},
                     {"data", {{"guest", false}, {"reason", "host-qmp-quit"}}},
                     {"timestamp", {{"seconds", 0}, {"microseconds", 0}}}};
    send_line(fd, shutdown.dump());
    return false;
  }
  return true;
}

}  // namespace kata::hypervisor::testing
