#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "containerd/events_service.pb.h"

namespace kata::shim {

// The topics containerd expects for each event (runtime/v2/README.md).
inline constexpr char kTopicCreate[] = "/tasks/create";
inline constexpr char kTopicStart[] = "/tasks/start";
inline constexpr char kTopicExit[] = "/tasks/exit";
inline constexpr char kTopicDelete[] = "/tasks/delete";
inline constexpr char kTopicOom[] = "/tasks/oom";
inline constexpr char kTopicExecAdded[] = "/tasks/exec-added";
inline constexpr char kTopicExecStarted[] = "/tasks/exec-started";
inline constexpr char kTopicPaused[] = "/tasks/paused";
inline constexpr char kTopicResumed[] = "/tasks/resumed";

using Envelope = containerd::services::events::ttrpc::v1::Envelope;

// An Any whose type_url is the bare message name ("containerd.events.TaskExit"):
// containerd's typeurl registry knows its types by that name.
google::protobuf::Any to_any(const google::protobuf::Message& message);

Envelope make_envelope(const std::string& ns, const std::string& topic,
                       const google::protobuf::Message& event,
                       std::chrono::system_clock::time_point when);

// Where the task service sends events. publish() never blocks on containerd.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void publish(const std::string& topic, const google::protobuf::Message& event) = 0;
};

// Sends one envelope; an error is logged and the event dropped.
using ForwardFn = std::function<Result<void>(const Envelope&)>;

// Forwards events one at a time from a queue on its own thread, so that they
// reach containerd in the order they were published (create before start
// before exit before delete) and no RPC handler waits for containerd. An event
// that fails is tried again, in its place, up to kAttempts times with a growing
// pause (containerd's own shims requeue 5 times too): a containerd too busy to
// answer in time must not lose an exit, for which CRI's StopPodSandbox waits.
class QueuedPublisher : public EventSink {
 public:
  static constexpr int kAttempts = 5;

  QueuedPublisher(std::string ns, ForwardFn forward);
  ~QueuedPublisher() override;  // forwards what is queued, then stops
  QueuedPublisher(const QueuedPublisher&) = delete;
  QueuedPublisher& operator=(const QueuedPublisher&) = delete;

  void publish(const std::string& topic, const google::protobuf::Message& event) override;
  // Waits until every event published so far was forwarded (or dropped).
  void flush();

 private:
  void run();

  std::string ns_;
  ForwardFn forward_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Envelope> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

// Events.Forward over ttRPC to containerd at `address` ($TTRPC_ADDRESS: a
// socket path, "unix://" optional). Connects lazily and again after a lost
// connection; each call has containerd's 5 s publish timeout.
ForwardFn ttrpc_forwarder(std::string address);

// For runs without $TTRPC_ADDRESS (CRI-O): the event is only logged.
ForwardFn log_forwarder();

}  // namespace kata::shim
