#include "ttrpc/server_connection.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <system_error>
#include <utility>

#include "common/log.h"
#include "ttrpc/codec.h"
#include "ttrpc/io.h"

namespace kata::ttrpc {

namespace {

// Keeps `now + timeout` far from the clock's overflow for absurd timeout_nano.
constexpr std::chrono::nanoseconds kMaxTimeout = std::chrono::hours(24 * 365 * 10);

std::string call_name(const CallContext& ctx) { return ctx.service + "/" + ctx.method; }

// The agent is PID 1: an exception escaping a handler thread would end the VM.
Result<std::string> run_handler(const Handler& handler, const CallContext& ctx,
                                std::string_view payload) {
  try {
    if (log::level() > log::Level::kDebug) return handler(ctx, payload);
    // Per-call latency at debug level: where a container's start time goes, on both ends.
    auto start = std::chrono::steady_clock::now();
    Result<std::string> result = handler(ctx, payload);
    log::debug("ttrpc {}: {} in {} ms", call_name(ctx), result ? "ok" : "failed",
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count());
    return result;
  } catch (const std::exception& e) {
    log::warn("ttrpc handler {} threw: {}", call_name(ctx), e.what());
    return Error(Code::kInternal, fmt::format("{}: handler failed: {}", call_name(ctx), e.what()));
  } catch (...) {
    log::warn("ttrpc handler {} threw a non-standard exception", call_name(ctx));
    return Error(Code::kInternal,
                 fmt::format("{}: handler failed with an unknown exception", call_name(ctx)));
  }
}

}  // namespace

Result<std::unique_ptr<ServerConnection>> ServerConnection::create(UniqueFd fd,
                                                                   const MethodTable& methods) {
  Result<UniqueFd> wake = io::make_wake_fd();
  if (!wake) return std::move(wake).error().context("serve connection");
  return std::unique_ptr<ServerConnection>(
      new ServerConnection(std::move(fd), methods, std::move(*wake)));
}

ServerConnection::ServerConnection(UniqueFd fd, const MethodTable& methods, UniqueFd wake)
    : fd_(std::move(fd)), methods_(methods), wake_(std::move(wake)) {}

ServerConnection::~ServerConnection() { stop(); }

void ServerConnection::shutdown() { io::signal_wake(wake_.get()); }

Result<void> ServerConnection::serve() {
  Result<void> result;
  try {
    timer_ = std::thread([this] { timer_loop(); });
    result = read_loop();
  } catch (const std::exception& e) {
    result = Error(Code::kInternal, fmt::format("serve connection: {}", e.what()));
  }
  stop();
  return result;
}

Result<void> ServerConnection::read_loop() {
  for (;;) {
    Result<std::optional<FrameHeader>> header = read_frame_header(fd_.get(), wake_.get());
    if (!header) {
      // Shutdown, or a peer that reset the connection between two frames: both
      // are ordinary ends of a connection, not protocol errors.
      if (header.error().code() == Code::kCancelled) return {};
      if (header.error().sys_errno() == ECONNRESET) return {};
      return std::move(header).error().context("serve connection");
    }
    if (!header->has_value()) return {};
    const FrameHeader h = **header;
    if (Status size_ok = check_header(h); !size_ok) {
      // The oversized data stays unread, so the stream is out of step from
      // here on: tell the peer why, then close.
      reply(h.stream_id, Result<std::string>(size_ok.error()));
      return std::move(size_ok).error().context("serve connection");
    }
    Result<std::string> data = read_frame_data(fd_.get(), h, wake_.get());
    if (!data) {
      if (data.error().code() == Code::kCancelled) return {};
      return std::move(data).error().context("serve connection");
    }
    handle_frame(h, std::move(*data));
  }
}

void ServerConnection::handle_frame(const FrameHeader& header, std::string data) {
  uint32_t id = header.stream_id;
  if (header.type == static_cast<uint8_t>(FrameType::kData)) {
    reply(id, Error(Code::kUnimplemented,
                    fmt::format("stream {}: data frames (streaming calls) are not supported", id)));
    return;
  }
  if (header.type != static_cast<uint8_t>(FrameType::kRequest)) {
    reply(id, Error(Code::kInvalidArgument,
                    fmt::format("stream {}: unexpected frame type {}, a server accepts only "
                                "requests (type 1)",
                                id, header.type)));
    return;
  }
  if (Status ok = check_stream_id(id); !ok) {
    reply(id, Result<std::string>(ok.error()));
    return;
  }
  Result<::ttrpc::Request> request = decode_request(data);
  if (!request) {
    reply(id, std::move(request).error().context(fmt::format("stream {}", id)));
    return;
  }
  dispatch(*request, id);
}

Status ServerConnection::check_stream_id(uint32_t stream_id) {
  // Reused ids would make two responses indistinguishable to the client.
  if (stream_id % 2 == 0) {
    return Error(Code::kInvalidArgument,
                 fmt::format("stream {}: client stream ids must be odd", stream_id));
  }
  if (stream_id <= last_stream_id_) {
    return Error(Code::kInvalidArgument,
                 fmt::format("stream {}: stream ids must increase, the last one was {}", stream_id,
                             last_stream_id_));
  }
  last_stream_id_ = stream_id;
  return {};
}

void ServerConnection::dispatch(const ::ttrpc::Request& request, uint32_t stream_id) {
  std::shared_ptr<const Handler> handler = methods_.find(request.service(), request.method());
  if (!handler) {
    reply(stream_id, not_implemented(request.service(), request.method()));
    return;
  }
  auto call = std::make_shared<Call>();
  call->stream_id = stream_id;
  CallContext ctx;
  ctx.service = request.service();
  ctx.method = request.method();
  if (request.timeout_nano() > 0) {
    auto timeout = std::min(std::chrono::nanoseconds(request.timeout_nano()), kMaxTimeout);
    call->deadline = Clock::now() + timeout;
    ctx.deadline = call->deadline;
  }
  for (const ::ttrpc::KeyValue& kv : request.metadata())
    ctx.metadata.emplace_back(kv.key(), kv.value());
  ctx.cancel = call->cancel;
  call->name = call_name(ctx);
  start_worker(std::move(call), std::move(handler), std::move(ctx), request.payload());
}

void ServerConnection::start_worker(std::shared_ptr<Call> call,
                                    std::shared_ptr<const Handler> handler, CallContext ctx,
                                    std::string payload) {
  reap_finished_workers();
  uint32_t id = call->stream_id;
  std::unique_lock lock(mu_);
  if (calls_.size() >= kMaxInFlight) {
    lock.unlock();
    reply(id, Error(Code::kResourceExhausted,
                    fmt::format("{}: more than {} calls in flight on this connection", call->name,
                                kMaxInFlight)));
    return;
  }
  calls_[id] = call;
  uint64_t worker_id = next_worker_++;
  try {
    // The worker blocks on mu_ at its end until this emplace is done, so it
    // always finds itself in workers_.
    workers_.emplace(worker_id,
                     std::thread([this, call, handler = std::move(handler), ctx = std::move(ctx),
                                  payload = std::move(payload), worker_id] {
                       Result<std::string> result = run_handler(*handler, ctx, payload);
                       finish(call, result);
                       std::lock_guard done(mu_);
                       finished_workers_.push_back(worker_id);
                     }));
  } catch (const std::system_error& e) {
    calls_.erase(id);
    lock.unlock();
    reply(id, Error(Code::kResourceExhausted,
                    fmt::format("{}: start handler thread: {}", call->name, e.what())));
    return;
  }
  if (call->deadline != Clock::time_point{}) timer_cv_.notify_one();
}

void ServerConnection::finish(const std::shared_ptr<Call>& call,
                              const Result<std::string>& result) {
  {
    std::lock_guard lock(mu_);
    if (call->answered) return;  // the deadline answered first; this result is late
    call->answered = true;
    calls_.erase(call->stream_id);
  }
  reply(call->stream_id, result);
}

void ServerConnection::reply(uint32_t stream_id, const Result<std::string>& result) {
  Frame frame{stream_id, static_cast<uint8_t>(FrameType::kResponse), 0, encode_response(result)};
  if (frame.data.size() > kMaxFrameData) {
    frame.data = encode_response(
        Error(Code::kResourceExhausted,
              fmt::format("stream {}: response of {} bytes is over the {}-byte frame limit",
                          stream_id, frame.data.size(), kMaxFrameData)));
  }
  std::lock_guard lock(write_mu_);
  if (write_closed_) return;
  Status written = write_frame(fd_.get(), frame, wake_.get());
  if (!written) {
    // A frame may be half written: nothing after it could be parsed.
    write_closed_ = true;
    log::debug("ttrpc: {}", written.error().message());
  }
}

void ServerConnection::timer_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    std::vector<std::shared_ptr<Call>> expired;
    for (auto it = calls_.begin(); it != calls_.end();) {
      const std::shared_ptr<Call>& call = it->second;
      if (call->deadline == Clock::time_point{} || call->deadline > now) {
        if (call->deadline != Clock::time_point{}) next = std::min(next, call->deadline);
        ++it;
        continue;
      }
      call->answered = true;
      expired.push_back(call);
      it = calls_.erase(it);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (const std::shared_ptr<Call>& call : expired) {
        call->cancel->cancel();
        reply(call->stream_id,
              Error(Code::kDeadlineExceeded, fmt::format("{}: deadline exceeded", call->name)));
      }
      lock.lock();
      continue;
    }
    if (next == Clock::time_point::max()) {
      timer_cv_.wait(lock);
    } else {
      timer_cv_.wait_until(lock, next);
    }
  }
}

void ServerConnection::reap_finished_workers() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mu_);
    for (uint64_t id : finished_workers_) {
      auto it = workers_.find(id);
      if (it == workers_.end()) continue;
      done.push_back(std::move(it->second));
      workers_.erase(it);
    }
    finished_workers_.clear();
  }
  for (std::thread& t : done) t.join();
}

void ServerConnection::stop() {
  std::vector<std::shared_ptr<Call>> pending;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, call] : calls_) {
      call->answered = true;
      pending.push_back(call);
    }
    calls_.clear();
  }
  timer_cv_.notify_all();
  // Wake a writer stuck on a peer that stopped reading, then bar new writes.
  shutdown();
  {
    std::lock_guard lock(write_mu_);
    write_closed_ = true;
  }
  // Sockets only (ENOTSOCK otherwise): the peer sees the close now, not after
  // the slowest handler returned.
  if (fd_) (void)::shutdown(fd_.get(), SHUT_RDWR);
  for (const std::shared_ptr<Call>& call : pending) call->cancel->cancel();
  if (timer_.joinable()) timer_.join();
  std::map<uint64_t, std::thread> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
    finished_workers_.clear();
  }
  for (auto& [id, t] : workers) t.join();
}

}  // namespace kata::ttrpc
