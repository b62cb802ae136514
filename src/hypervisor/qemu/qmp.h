#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"
#include "sys/deadline.h"

namespace kata::hypervisor::qemu {

struct QmpEvent {
  std::string name;     // "SHUTDOWN", "STOP", ...
  nlohmann::json data;  // the event's "data" (null when absent)
};

// A QMP client (QEMU Machine Protocol: JSON lines over a stream socket). One caller at
// a time: it is not thread-safe. Asynchronous events that arrive while waiting for a
// reply are kept (the latest kMaxEvents) for callers that want e.g. SHUTDOWN.
class QmpClient {
 public:
  static constexpr size_t kMaxEvents = 64;
  static constexpr std::chrono::milliseconds kDefaultTimeout{5000};

  // Connects (retrying while QEMU has not created the socket yet), reads the greeting
  // and negotiates capabilities, all before `deadline`.
  static Result<QmpClient> connect(const std::string& socket_path, sys::Deadline deadline);
  // The same handshake over an already connected stream (tests use a socketpair).
  static Result<QmpClient> handshake(UniqueFd fd, sys::Deadline deadline);

  QmpClient(QmpClient&&) = default;
  QmpClient& operator=(QmpClient&&) = default;

  // Runs `command` and returns its "return" value. A QMP error becomes an Error with
  // QEMU's "desc"; no reply in time is DEADLINE_EXCEEDED (a late reply is then skipped);
  // bytes that are not QMP break the connection for good (DATA_LOSS).
  Result<nlohmann::json> execute(std::string_view command,
                                 const nlohmann::json& arguments = nullptr,
                                 std::chrono::milliseconds timeout = kDefaultTimeout);

  // "running", "paused", "shutdown", ... (query-status "status").
  Result<std::string> query_status(std::chrono::milliseconds timeout = kDefaultTimeout);
  // ACPI power button: the guest decides whether and when to shut down.
  Result<void> system_powerdown(std::chrono::milliseconds timeout = kDefaultTimeout);
  // Asks QEMU to exit. QEMU closing the connection before answering counts as success.
  Result<void> quit(std::chrono::milliseconds timeout = kDefaultTimeout);

  // Waits for an event named `name` (or returns one already received and kept).
  Result<QmpEvent> wait_event(std::string_view name, std::chrono::milliseconds timeout);

  // QEMU's version from the greeting, e.g. "7.2.22".
  const std::string& qemu_version() const { return version_; }
  const std::deque<QmpEvent>& events() const { return events_; }
  std::optional<QmpEvent> last_event(std::string_view name) const;

 private:
  explicit QmpClient(UniqueFd fd) : fd_(std::move(fd)) {}

  // The next message (event or reply) as a JSON object.
  Result<nlohmann::json> read_message(sys::Deadline deadline);
  Result<nlohmann::json> read_reply(std::string_view command, uint64_t id, sys::Deadline deadline);
  void keep_event(const nlohmann::json& message);
  Error broken(Error error);

  UniqueFd fd_;
  std::string buffer_;
  uint64_t next_id_ = 1;
  std::deque<QmpEvent> events_;
  std::string version_;
  std::optional<std::string> broken_;  // why the stream can no longer be trusted
};

}  // namespace kata::hypervisor::qemu
