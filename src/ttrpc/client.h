#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::ttrpc {

// A ttRPC client over one connected stream. Thread safe: several calls may be
// in flight at once; a reader thread matches responses to callers by stream id.
class Client {
 public:
  explicit Client(UniqueFd fd);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and waits for its response until `timeout` (also sent to
  // the server as timeout_nano). A non-OK status comes back as an Error with
  // the server's code and message. A timeout of zero or less waits without
  // limit and sends no timeout_nano. DEADLINE_EXCEEDED on expiry (a late
  // response is dropped); UNAVAILABLE once the connection is lost or closed.
  Result<std::string> call_raw(std::string_view service, std::string_view method,
                               std::string payload, std::chrono::milliseconds timeout);

  template <typename Req, typename Resp>
  Result<Resp> call(std::string_view service, std::string_view method, const Req& req,
                    std::chrono::milliseconds timeout) {
    Result<std::string> raw = call_raw(service, method, req.SerializeAsString(), timeout);
    if (!raw) return std::move(raw).error();
    Resp resp;
    if (!resp.ParseFromString(*raw)) {
      return Error(Code::kDataLoss, std::string("decode ") + std::string(service) + "/" +
                                        std::string(method) +
                                        " response: not a valid protobuf message");
    }
    return resp;
  }

  // True until the connection failed or close() was called.
  bool connected() const;
  // Fails every pending call with UNAVAILABLE and closes the connection.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kata::ttrpc
