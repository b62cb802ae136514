#pragma once

// A client of the CRI streaming server (the URLs that Exec, Attach and PortForward return),
// over WebSocket as Kubernetes' wsstream serves it: every binary message is one channel
// byte followed by that channel's bytes.
//
//   exec / attach, subprotocol "v4.channel.k8s.io": 0 stdin, 1 stdout, 2 stderr, 3 the
//     final metav1.Status as JSON, 4 terminal resizes as JSON {"Width":w,"Height":h}.
//     v4 has no way to close stdin alone (v5 added one): closing the connection is the only
//     EOF, and it ends the session, so commands run through this must not wait for EOF.
//   port-forward, the same subprotocol: per requested port a data channel (2i) and an
//     error channel (2i+1), each opened by a message holding the port as 2 bytes
//     little-endian; the error channel carries the server's text when the forward fails.
//
// The server writes one empty message first (on the lowest output channel) to say the
// streams are set up, and closes the connection when the session ends. Every call has a
// timeout; a timeout leaves the connection closed. Boost.Beast stays inside the .cc file.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::cri {

inline constexpr const char* kChannelProtocol = "v4.channel.k8s.io";

// "http://host:port/path?query" split for the WebSocket handshake.
struct StreamUrl {
  std::string host;
  std::string port;
  std::string target;  // path and query
};
Result<StreamUrl> parse_stream_url(std::string_view url);

// The exit code in a v4 Status: 0 for "Success", N for reason "NonZeroExitCode" with a
// cause of reason "ExitCode" and message "N"; any other failure is an error with the
// server's message.
Result<int> exit_code_of_status(std::string_view status_json);

// One WebSocket connection, channel-multiplexed.
class ChannelStream {
 public:
  struct Message {
    uint8_t channel;
    std::string data;
  };

  // Connects to `url` and upgrades with `protocol`, which the server must choose.
  static Result<std::unique_ptr<ChannelStream>> connect(const std::string& url,
                                                        const std::string& protocol,
                                                        std::chrono::milliseconds timeout);
  ~ChannelStream();

  Result<void> send(uint8_t channel, std::string_view data, std::chrono::milliseconds timeout);
  // The next message, or nullopt once the server has closed the connection.
  Result<std::optional<Message>> receive(std::chrono::milliseconds timeout);
  // The code and reason of the server's Close frame, e.g. "1000 ''" (after receive saw it).
  const std::string& close_reason() const { return close_reason_; }

 private:
  struct Impl;
  explicit ChannelStream(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::string close_reason_;
};

struct RemoteCommandOutput {
  std::string out;     // channel 1 (with a tty: everything the terminal shows)
  std::string err;     // channel 2 (never with a tty)
  std::string status;  // channel 3: the Status JSON, "" until it comes
};

// An exec or attach session.
class RemoteCommand {
 public:
  static Result<RemoteCommand> open(const std::string& url, std::chrono::milliseconds timeout);

  Result<void> write_stdin(std::string_view data);
  Result<void> resize(uint16_t width, uint16_t height);
  // Reads until stdout holds `text` (an error naming what came instead).
  Result<void> wait_for_output(std::string_view text, std::chrono::milliseconds timeout);
  // Reads until the server ends the session, then the exit code from its Status.
  Result<int> wait(std::chrono::milliseconds timeout);

  const RemoteCommandOutput& output() const { return output_; }

 private:
  explicit RemoteCommand(std::unique_ptr<ChannelStream> stream) : stream_(std::move(stream)) {}
  // One message into output_; false once the server has closed the connection.
  Result<bool> pump(std::chrono::steady_clock::time_point deadline);

  std::unique_ptr<ChannelStream> stream_;
  RemoteCommandOutput output_;
  bool closed_ = false;
};

// A port-forward session for one port (the PortForwardRequest named only this port).
class PortForward {
 public:
  // Connects and reads the port headers of the data and error channels.
  static Result<PortForward> open(const std::string& url, uint16_t port,
                                  std::chrono::milliseconds timeout);

  Result<void> write(std::string_view data);
  // Reads until the server closes the connection (it does when the forwarded connection
  // ends or cannot be made).
  Result<void> wait(std::chrono::milliseconds timeout);

  const std::string& data() const { return data_; }    // what the pod's port sent
  const std::string& error() const { return error_; }  // the server's error text, if any
  const std::string& close_reason() const { return stream_->close_reason(); }

 private:
  PortForward(std::unique_ptr<ChannelStream> stream, uint16_t port)
      : stream_(std::move(stream)), port_(port) {}
  Result<bool> pump(std::chrono::steady_clock::time_point deadline);

  std::unique_ptr<ChannelStream> stream_;
  uint16_t port_;
  bool header_seen_[2] = {false, false};
  bool closed_ = false;
  std::string data_, error_;
};

}  // namespace kata::cri
