#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace kata::hypervisor::testing {

// A hand-written stand-in for QEMU's QMP monitor, for unit tests. Set the knobs, then
// either serve() on the calling thread or start() a thread; read the observations after.
class FakeQmpServer {
 public:
  // Knobs.
  bool send_greeting = true;
  std::string greeting_version = "7.2.22";
  bool never_answer = false;                        // read commands, reply to none of them
  std::string garbage_reply;                        // sent (plus '\n') instead of every reply
  std::map<std::string, nlohmann::json> returns;    // command → "return" value (default {})
  std::map<std::string, std::string> errors;        // command → GenericError desc
  std::vector<nlohmann::json> events_before_reply;  // sent before each reply
  std::string status = "running";                   // what query-status reports
  bool exit_on_quit = true;                         // after "quit": reply, send SHUTDOWN, close

  FakeQmpServer() = default;
  FakeQmpServer(const FakeQmpServer&) = delete;
  FakeQmpServer& operator=(const FakeQmpServer&) = delete;
  ~FakeQmpServer();

  // Serves one connection until the peer closes it or a quit ends it.
  void serve(UniqueFd fd);
  // serve() on a thread, joined by stop() or the destructor.
  void start(UniqueFd fd);
  void stop();

  // Observations: the commands received, in order.
  std::vector<std::string> commands() const;

 private:
  bool handle(int fd, const nlohmann::json& request);

  mutable std::mutex mu_;
  std::vector<std::string> commands_;  // guarded by mu_
  int serving_fd_ = -1;                // guarded by mu_; shut down by stop()
  bool stopping_ = false;              // guarded by mu_
  std::thread thread_;
};

}  // namespace kata::hypervisor::testing
