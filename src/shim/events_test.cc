#include "shim/events.h"

#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "common/testing/temp_dir.h"
#include "containerd/events.pb.h"
#include "sys/unix_socket.h"
#include "ttrpc/server.h"

namespace kata::shim {
namespace {

using ForwardRequest = containerd::services::events::ttrpc::v1::ForwardRequest;

TEST(Envelope, CarriesTopicNamespaceTimeAndTypedEvent) {
  containerd::events::TaskExit exit;
  exit.set_container_id("c1");
  exit.set_exit_status(3);
  auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000) +
                                                    std::chrono::nanoseconds(5));
  Envelope envelope = make_envelope("default", kTopicExit, exit, when);
  // Through the wire and back, as containerd receives it.
  Envelope decoded;
  ASSERT_TRUE(decoded.ParseFromString(envelope.SerializeAsString()));
  EXPECT_EQ(decoded.namespace_(), "default");
  EXPECT_EQ(decoded.topic(), "/tasks/exit");
  EXPECT_EQ(decoded.timestamp().seconds(), 1700000000);
  EXPECT_EQ(decoded.timestamp().nanos(), 5);
  EXPECT_EQ(decoded.event().type_url(), "containerd.events.TaskExit");
  containerd::events::TaskExit inner;
  ASSERT_TRUE(inner.ParseFromString(decoded.event().value()));
  EXPECT_EQ(inner.container_id(), "c1");
  EXPECT_EQ(inner.exit_status(), 3u);
}

TEST(Envelope, FieldNumbersAreContainerds) {
  Envelope envelope;
  envelope.set_topic("t");       // field 3, wire type 2: tag 0x1a
  envelope.set_namespace_("n");  // field 2: tag 0x12
  EXPECT_EQ(envelope.SerializeAsString(), std::string("\x12\x01n\x1a\x01t", 6));
}

TEST(QueuedPublisher, ForwardsInPublishOrderRetryingAFailedEvent) {
  std::mutex mu;
  std::vector<std::string> topics;
  {
    QueuedPublisher publisher("ns", [&](const Envelope& envelope) -> Result<void> {
      std::lock_guard lock(mu);
      topics.push_back(envelope.topic());
      // containerd too busy for the start event's first two attempts: a lost exit would
      // leave CRI's StopPodSandbox waiting for ever, so it is tried again, in its place.
      if (envelope.topic() == kTopicStart && topics.size() <= 3)
        return Error(Code::kDeadlineExceeded, "containerd busy");
      return {};
    });
    containerd::events::TaskStart start;
    for (const char* topic : {kTopicCreate, kTopicStart, kTopicExit, kTopicDelete}) {
      publisher.publish(topic, start);
    }
    publisher.flush();
    std::lock_guard lock(mu);
    EXPECT_EQ(topics.size(), 6u);
  }
  EXPECT_EQ(topics, (std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/start",
                                              "/tasks/start", "/tasks/exit", "/tasks/delete"}));
}

TEST(QueuedPublisher, DropsAnEventAfterItsLastAttempt) {
  std::atomic<int> calls = 0;
  {
    QueuedPublisher publisher("ns", [&](const Envelope&) -> Result<void> {
      ++calls;
      return Error(Code::kUnavailable, "containerd away");
    });
    publisher.publish(kTopicExit, containerd::events::TaskStart());
    publisher.flush();
  }
  EXPECT_EQ(calls, QueuedPublisher::kAttempts);
}

TEST(TtrpcForwarder, CallsEventsForwardOnContainerdsSocket) {
  kata::testing::TempDir tmp;
  std::string path = tmp.path() + "/ttrpc.sock";
  Result<UniqueFd> listener = sys::listen_unix(path);
  ASSERT_TRUE(listener) << listener.error().message();
  std::mutex mu;
  std::vector<ForwardRequest> received;
  ttrpc::Server server;
  server.register_typed<ForwardRequest, google::protobuf::Empty>(
      "containerd.services.events.ttrpc.v1.Events", "Forward",
      [&](const ttrpc::CallContext&, const ForwardRequest& req) -> Result<google::protobuf::Empty> {
        std::lock_guard lock(mu);
        received.push_back(req);
        return google::protobuf::Empty();
      });
  std::thread serving([&] { (void)server.serve_listener(std::move(*listener)); });

  ForwardFn forward = ttrpc_forwarder("unix://" + path);
  containerd::events::TaskOOM oom;
  oom.set_container_id("c9");
  Result<void> sent =
      forward(make_envelope("k8s.io", kTopicOom, oom, std::chrono::system_clock::now()));
  EXPECT_TRUE(sent) << sent.error().message();
  EXPECT_TRUE(forward(make_envelope("k8s.io", kTopicOom, oom, std::chrono::system_clock::now())));
  server.shutdown();
  serving.join();

  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].envelope().namespace_(), "k8s.io");
  EXPECT_EQ(received[0].envelope().topic(), "/tasks/oom");
  EXPECT_EQ(received[0].envelope().event().type_url(), "containerd.events.TaskOOM");
}

TEST(TtrpcForwarder, NoContainerdIsAnError) {
  ForwardFn forward = ttrpc_forwarder("/nonexistent/ttrpc.sock");
  containerd::events::TaskOOM oom;
  EXPECT_FALSE(forward(make_envelope("ns", kTopicOom, oom, std::chrono::system_clock::now())));
}

}  // namespace
}  // namespace kata::shim
