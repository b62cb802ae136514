#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "ttrpc.pb.h"
#include "ttrpc/cancel.h"
#include "ttrpc/frame.h"
#include "ttrpc/method_table.h"

namespace kata::ttrpc {

// One served stream. Threads (see docs in server.h):
//  - the reader (the caller of serve()) decodes frames and starts a worker per
//    request; errors it can answer itself (bad payload, unknown method) it does;
//  - workers run handlers, so a slow handler never holds up the others;
//  - a timer answers DEADLINE_EXCEEDED for calls whose deadline passed.
// Every answer is decided under mu_ (first one wins, later ones are dropped)
// and written under write_mu_, so responses may leave out of order.
class ServerConnection {
 public:
  // In-flight requests per connection beyond which new ones get
  // RESOURCE_EXHAUSTED, so a runaway host cannot make the guest spawn threads
  // without bound.
  static constexpr size_t kMaxInFlight = 1024;

  static Result<std::unique_ptr<ServerConnection>> create(UniqueFd fd, const MethodTable& methods);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Serves until the peer closes (ok), the server shuts down (ok) or the
  // framing breaks (error). Returns only after every handler thread is joined.
  Result<void> serve();

  // Thread safe, also before or after serve(): interrupts every read and write
  // of this connection, so serve() returns (ok) and joins its threads.
  void shutdown();

 private:
  using Clock = std::chrono::steady_clock;
  struct Call {
    uint32_t stream_id = 0;
    std::string name;              // "service/method", for messages
    Clock::time_point deadline{};  // epoch: none
    std::shared_ptr<CancelToken> cancel = std::make_shared<CancelToken>();
    bool answered = false;  // under mu_
  };

  ServerConnection(UniqueFd fd, const MethodTable& methods, UniqueFd wake);

  Result<void> read_loop();
  // Answers or dispatches one well-framed frame; never closes the connection.
  void handle_frame(const FrameHeader& header, std::string data);
  Status check_stream_id(uint32_t stream_id);
  void dispatch(const ::ttrpc::Request& request, uint32_t stream_id);
  void start_worker(std::shared_ptr<Call> call, std::shared_ptr<const Handler> handler,
                    CallContext ctx, std::string payload);
  void finish(const std::shared_ptr<Call>& call, const Result<std::string>& result);
  void reply(uint32_t stream_id, const Result<std::string>& result);
  void timer_loop();
  void reap_finished_workers();
  void stop();

  UniqueFd fd_;
  const MethodTable& methods_;
  // Interrupts reads and writes; see io.h.
  UniqueFd wake_;
  uint32_t last_stream_id_ = 0;  // reader only

  std::mutex write_mu_;
  bool write_closed_ = false;  // under write_mu_

  std::mutex mu_;
  std::condition_variable timer_cv_;
  bool stopping_ = false;
  std::map<uint32_t, std::shared_ptr<Call>> calls_;
  uint64_t next_worker_ = 0;
  std::map<uint64_t, std::thread> workers_;
  std::vector<uint64_t> finished_workers_;
  std::thread timer_;
};

}  // namespace kata::ttrpc
