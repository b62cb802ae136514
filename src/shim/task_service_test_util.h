#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agent_client/testing/fake_agent.h"
#include "runtime/testing/fake_sandbox.h"
#include "runtime/testing/test_bundle.h"
#include "shim/events.h"
#include "shim/task_service.h"
#include "ttrpc/testing/test_util.h"

namespace kata::shim::testing {

// Keeps every published event, for order checks.
class RecordingSink : public EventSink {
 public:
  void publish(const std::string& topic, const google::protobuf::Message& event) override {
    std::lock_guard lock(mu_);
    events_.emplace_back(topic, to_any(event));
    cv_.notify_all();
  }
  std::vector<std::string> topics() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto& [topic, any] : events_) out.push_back(topic);
    return out;
  }
  bool wait_for(const std::string& topic) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (auto& [t, any] : events_) {
        if (t == topic) return true;
      }
      return false;
    });
  }
  // The last event on `topic`, decoded.
  template <typename T>
  T last(const std::string& topic) {
    std::lock_guard lock(mu_);
    T out;
    for (auto& [t, any] : events_) {
      if (t == topic) out.ParseFromString(any.value());
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, google::protobuf::Any>> events_;
};

using ::kata::ttrpc::testing::TempDir;

using ::kata::runtime::testing::make_bundle;

}  // namespace kata::shim::testing
