#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "ttrpc/cancel.h"

namespace kata::ttrpc {

// What a handler knows about the request it serves.
struct CallContext {
  std::string service;
  std::string method;
  // Zero when the client sent no timeout_nano.
  std::chrono::steady_clock::time_point deadline{};
  std::vector<std::pair<std::string, std::string>> metadata;
  // Fires when the answer is no longer wanted (deadline, disconnect, shutdown).
  // Set by the server; null in contexts built by hand.
  std::shared_ptr<const CancelToken> cancel;

  bool cancelled() const { return cancel && cancel->cancelled(); }
};

// Takes the serialized request payload, returns the serialized response payload
// or an error that becomes the response status. Handlers run on worker threads,
// so a slow one (a long poll) never blocks the others on the same connection.
using Handler = std::function<Result<std::string>(const CallContext&, std::string_view payload)>;

class Server {
 public:
  Server();
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void register_method(std::string service, std::string method, Handler handler);

  // Typed registration: parses Req (INVALID_ARGUMENT if the payload is not one),
  // serializes Resp.
  template <typename Req, typename Resp>
  void register_typed(std::string service, std::string method,
                      std::function<Result<Resp>(const CallContext&, const Req&)> fn) {
    register_method(std::move(service), std::move(method),
                    [fn = std::move(fn)](const CallContext& ctx,
                                         std::string_view payload) -> Result<std::string> {
                      Req req;
                      if (!req.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
                        return Error(Code::kInvalidArgument,
                                     "decode " + ctx.service + "/" + ctx.method +
                                         " request: payload is not a valid protobuf message");
                      }
                      Result<Resp> resp = fn(ctx, req);
                      if (!resp) return std::move(resp).error();
                      return resp->SerializeAsString();
                    });
  }

  // Runs the handler of ctx.service/ctx.method in the calling thread, as a
  // connection would (UNIMPLEMENTED when there is none): for callers in the
  // same process, such as fuzzers, that have no socket to send through.
  Result<std::string> call(const CallContext& ctx, std::string_view payload) const;

  // Serves one connected stream (a unix socket, a vsock, a virtio-serial port)
  // until the peer closes it or sends a frame that cannot be decoded. Blocks.
  // Returns ok on a clean close.
  // EOF means read() returned 0 at a frame boundary (a connection reset there
  // counts too). Before returning it cancels the CallContext::cancel of every
  // call still running and joins their threads, so a handler that blocks for
  // long must watch that token or serve_connection() waits for it.
  Result<void> serve_connection(UniqueFd fd);

  // Accepts connections on a listening socket and serves each on its own
  // thread, until shutdown(). Blocks. A connection's own errors are logged and
  // end only that connection. Returns after all its connections have ended.
  Result<void> serve_listener(UniqueFd listen_fd);

  // Stops accepting and closes every connection; serve_* calls return (ok).
  // Final: later serve_* calls return at once. The Server may be destroyed
  // only after every serve_* call has returned.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kata::ttrpc
