#include "shim/events.h"

#include <google/protobuf/empty.pb.h>
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <thread>

#include "common/log.h"
#include "shim/address.h"
#include "sys/unix_socket.h"
#include "ttrpc/client.h"

namespace kata::shim {

google::protobuf::Any to_any(const google::protobuf::Message& message) {
  google::protobuf::Any any;
  any.set_type_url(message.GetDescriptor()->full_name());
  any.set_value(message.SerializeAsString());
  return any;
}

Envelope make_envelope(const std::string& ns, const std::string& topic,
                       const google::protobuf::Message& event,
                       std::chrono::system_clock::time_point when) {
  Envelope envelope;
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  *envelope.mutable_timestamp() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(nanos);
  envelope.set_namespace_(ns);
  envelope.set_topic(topic);
  *envelope.mutable_event() = to_any(event);
  return envelope;
}

QueuedPublisher::QueuedPublisher(std::string ns, ForwardFn forward)
    : ns_(std::move(ns)), forward_(std::move(forward)), thread_([this] { run(); }) {}

QueuedPublisher::~QueuedPublisher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void QueuedPublisher::publish(const std::string& topic, const google::protobuf::Message& event) {
  Envelope envelope = make_envelope(ns_, topic, event, std::chrono::system_clock::now());
  log::debug("event {} {}", topic, event.ShortDebugString());
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(envelope));
  }
  cv_.notify_all();
}

void QueuedPublisher::flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

namespace {
// 0.2 s, 0.4 s, ... between attempts: 2 s in all before an event is dropped.
constexpr auto kRetryPause = std::chrono::milliseconds(200);
}  // namespace

void QueuedPublisher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything was sent
    Envelope envelope = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    for (int attempt = 1;; ++attempt) {
      Result<void> sent = forward_(envelope);
      if (sent) break;
      log::warn("forward event {} (attempt {} of {}): {}", envelope.topic(), attempt, kAttempts,
                sent.error().message());
      if (attempt == kAttempts) break;
      std::this_thread::sleep_for(kRetryPause * attempt);
    }
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

ForwardFn ttrpc_forwarder(std::string address) {
  struct State {
    std::string path;
    std::unique_ptr<ttrpc::Client> client;
  };
  auto state = std::make_shared<State>();
  Result<std::string> path = socket_path(address);
  state->path = path ? *path : address;
  return [state](const Envelope& envelope) -> Result<void> {
    if (!state->client || !state->client->connected()) {
      KATA_ASSIGN_OR_RETURN(UniqueFd fd, sys::connect_unix(state->path));
      state->client = std::make_unique<ttrpc::Client>(std::move(fd));
    }
    containerd::services::events::ttrpc::v1::ForwardRequest req;
    *req.mutable_envelope() = envelope;
    Result<google::protobuf::Empty> done =
        state->client->call<decltype(req), google::protobuf::Empty>(
            "containerd.services.events.ttrpc.v1.Events", "Forward", req, std::chrono::seconds(5));
    if (!done) return std::move(done).error().context("forward to `" + state->path + "`");
    return {};
  };
}

ForwardFn log_forwarder() {
  return [](const Envelope& envelope) -> Result<void> {
    log::info("event {} (no TTRPC_ADDRESS: not forwarded)", envelope.topic());
    return {};
  };
}

}  // namespace kata::shim
