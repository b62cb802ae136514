#include "ttrpc/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "ttrpc/codec.h"
#include "ttrpc/frame.h"
#include "ttrpc/io.h"

namespace kata::ttrpc {

namespace {

struct Pending {
  std::string name;  // "service/method", for messages
  std::condition_variable cv;
  std::optional<Result<std::string>> result;  // under Impl::mu
};

constexpr std::chrono::hours kMaxTimeout(24 * 365 * 10);

std::string call_name(std::string_view service, std::string_view method) {
  return fmt::format("{}/{}", service, method);
}

}  // namespace

struct Client::Impl {
  UniqueFd fd;    // reset only under write_mu, after the reader has stopped
  UniqueFd wake;  // interrupts the reader and writers on close()
  std::thread reader;
  std::mutex close_mu;  // close() may race with itself (explicit call and destructor)

  std::mutex write_mu;

  std::mutex mu;
  bool closed = false;
  std::string closed_reason;  // why calls fail once closed
  uint32_t next_stream_id = 1;
  std::map<uint32_t, std::shared_ptr<Pending>> pending;

  void read_loop();
  void deliver(const Frame& frame);
  // Marks the connection lost and fails every pending call with UNAVAILABLE.
  void fail_all(const std::string& reason);
  Result<uint32_t> add_pending(const std::shared_ptr<Pending>& call);
  // Takes a stream id, registers the call and writes its request.
  Result<uint32_t> send(const std::shared_ptr<Pending>& call, Frame frame);
};

void Client::Impl::read_loop() {
  for (;;) {
    Result<std::optional<Frame>> frame = read_frame(fd.get(), wake.get());
    if (!frame) {
      if (frame.error().code() == Code::kCancelled) return;  // close() handles the rest
      fail_all(fmt::format("connection lost: {}", frame.error().message()));
      return;
    }
    if (!frame->has_value()) {
      fail_all("connection closed by the server");
      return;
    }
    deliver(**frame);
  }
}

void Client::Impl::deliver(const Frame& frame) {
  // Servers send only responses; anything else has no caller to go to.
  if (frame.type != static_cast<uint8_t>(FrameType::kResponse)) return;
  std::lock_guard lock(mu);
  auto it = pending.find(frame.stream_id);
  if (it == pending.end()) return;  // the caller gave up (deadline); the answer is late
  it->second->result = decode_response(frame.data);
  it->second->cv.notify_one();
  pending.erase(it);
}

void Client::Impl::fail_all(const std::string& reason) {
  std::lock_guard lock(mu);
  if (!closed) {
    closed = true;
    closed_reason = reason;
  }
  for (auto& [id, call] : pending) {
    call->result = Error(Code::kUnavailable, fmt::format("call {}: {}", call->name, closed_reason));
    call->cv.notify_one();
  }
  pending.clear();
}

Result<uint32_t> Client::Impl::add_pending(const std::shared_ptr<Pending>& call) {
  std::lock_guard lock(mu);
  if (closed) {
    return Error(Code::kUnavailable, fmt::format("call {}: {}", call->name, closed_reason));
  }
  if (next_stream_id > std::numeric_limits<uint32_t>::max() - 2) {
    return Error(Code::kResourceExhausted,
                 fmt::format("call {}: stream ids of this connection are used up", call->name));
  }
  uint32_t id = next_stream_id;
  next_stream_id += 2;
  pending[id] = call;
  return id;
}

Result<uint32_t> Client::Impl::send(const std::shared_ptr<Pending>& call, Frame frame) {
  // Ids are taken under the write lock: servers reject ids that do not increase
  // on the wire, so taking and sending must be one step.
  std::lock_guard lock(write_mu);
  KATA_ASSIGN_OR_RETURN(frame.stream_id, add_pending(call));
  Status sent = fd ? write_frame(fd.get(), frame, wake.get())
                   : Status(Error(Code::kUnavailable, "client closed"));
  if (!sent) {
    // A failed or half-written frame leaves the stream unusable for every call.
    // CANCELLED means close() interrupted the write.
    fail_all(sent.error().code() == Code::kCancelled
                 ? std::string("client closed")
                 : fmt::format("connection lost: {}", sent.error().message()));
    std::lock_guard state(mu);
    return Error(Code::kUnavailable, fmt::format("call {}: {}", call->name, closed_reason));
  }
  return frame.stream_id;
}

Client::Client(UniqueFd fd) : impl_(std::make_unique<Impl>()) {
  impl_->fd = std::move(fd);
  Result<UniqueFd> wake = io::make_wake_fd();
  if (!impl_->fd || !wake) {
    impl_->closed = true;
    impl_->closed_reason = !impl_->fd ? "client has no connection" : wake.error().message();
    impl_->fd.reset();
    return;
  }
  impl_->wake = std::move(*wake);
  try {
    impl_->reader = std::thread([impl = impl_.get()] { impl->read_loop(); });
  } catch (const std::system_error& e) {
    impl_->closed = true;
    impl_->closed_reason = fmt::format("start reader thread: {}", e.what());
    impl_->fd.reset();
  }
}

Client::~Client() { close(); }

Result<std::string> Client::call_raw(std::string_view service, std::string_view method,
                                     std::string payload, std::chrono::milliseconds timeout) {
  const std::string name = call_name(service, method);
  // Keeps now + timeout (and its value in ns) far from overflowing.
  timeout = std::min(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxTimeout));
  int64_t timeout_nano = timeout.count() > 0
                             ? std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count()
                             : 0;
  Frame frame{0, static_cast<uint8_t>(FrameType::kRequest), 0,
              encode_request(service, method, std::move(payload), timeout_nano)};
  if (frame.data.size() > kMaxFrameData) {
    return Error(Code::kResourceExhausted,
                 fmt::format("call {}: request of {} bytes is over the {}-byte frame limit", name,
                             frame.data.size(), kMaxFrameData));
  }
  auto call = std::make_shared<Pending>();
  call->name = name;
  KATA_ASSIGN_OR_RETURN(uint32_t stream_id, impl_->send(call, std::move(frame)));
  std::unique_lock lock(impl_->mu);
  auto answered = [&] { return call->result.has_value(); };
  if (timeout.count() > 0) {
    if (!call->cv.wait_for(lock, timeout, answered)) {
      impl_->pending.erase(stream_id);  // a late answer finds nobody and is dropped
      return Error(Code::kDeadlineExceeded,
                   fmt::format("call {}: no response within {} ms", name, timeout.count()));
    }
  } else {
    call->cv.wait(lock, answered);
  }
  return std::move(*call->result);
}

bool Client::connected() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->closed;
}

void Client::close() {
  std::lock_guard close_lock(impl_->close_mu);
  if (impl_->wake) io::signal_wake(impl_->wake.get());
  if (impl_->reader.joinable()) impl_->reader.join();
  impl_->fail_all("client closed");
  std::lock_guard lock(impl_->write_mu);
  impl_->fd.reset();
}

}  // namespace kata::ttrpc
