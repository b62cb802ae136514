#include "cri/stream_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

namespace kata::cri {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr uint8_t kStdout = 1, kStderr = 2, kStatus = 3, kResize = 4, kStdin = 0;

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

const std::string* string_at(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

bool is(const std::string* s, std::string_view want) { return s && *s == want; }

// The message of the "ExitCode" cause of a "NonZeroExitCode" status, or null.
const std::string* exit_code_cause(const Json& status) {
  if (!is(string_at(status, "reason"), "NonZeroExitCode")) return nullptr;
  auto details = status.find("details");
  if (details == status.end() || !details->is_object()) return nullptr;
  auto causes = details->find("causes");
  if (causes == details->end() || !causes->is_array()) return nullptr;
  for (const Json& cause : *causes)
    if (is(string_at(cause, "reason"), "ExitCode")) return string_at(cause, "message");
  return nullptr;
}

}  // namespace

Result<StreamUrl> parse_stream_url(std::string_view url) {
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("ws://")) {
    rest.remove_prefix(5);
  } else {
    return Error(Code::kInvalidArgument,
                 fmt::format("stream URL `{}`: only http:// and ws:// are supported", url));
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  StreamUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.find(']', colon) != std::string_view::npos) {
    out.host = authority;
    out.port = "80";
  } else {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty() || out.port.empty())
    return Error(Code::kInvalidArgument, fmt::format("stream URL `{}`: no host or port", url));
  return out;
}

Result<int> exit_code_of_status(std::string_view status_json) {
  Json status = Json::parse(status_json, nullptr, /*allow_exceptions=*/false);
  if (status.is_discarded() || !status.is_object())
    return Error(Code::kDataLoss, fmt::format("status `{}` is not a JSON object", status_json));
  if (is(string_at(status, "status"), "Success")) return 0;
  if (const std::string* code = exit_code_cause(status)) {
    int n = 0;
    auto [end, ec] = std::from_chars(code->data(), code->data() + code->size(), n);
    if (ec == std::errc() && end == code->data() + code->size()) return n;
    return Error(Code::kDataLoss, fmt::format("status `{}`: exit code `{}`", status_json, *code));
  }
  const std::string* message = string_at(status, "message");
  return Error(Code::kUnknown, fmt::format("the session failed: {}",
                                           message ? *message : std::string(status_json)));
}

struct ChannelStream::Impl {
  net::io_context io;
  websocket::stream<tcp::socket> ws{io};
  beast::flat_buffer buffer;
  bool broken = false;

  // Starts one asynchronous operation (`start(handler)`) and runs it to its end or for
  // `timeout`, after which the socket is closed, which ends the operation. Beast's own
  // timeouts apply to asynchronous operations only, hence this.
  template <class Start>
  beast::error_code run(std::chrono::milliseconds timeout, Start start) {
    if (broken) return net::error::not_connected;
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run_for(timeout);
    if (!result) {
      beast::error_code ignored;
      ws.next_layer().close(ignored);
      io.restart();
      io.run();
      result = beast::error::timeout;
    }
    if (*result && *result != websocket::error::closed) broken = true;
    return *result;
  }
};

ChannelStream::ChannelStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChannelStream::~ChannelStream() = default;

Result<std::unique_ptr<ChannelStream>> ChannelStream::connect(const std::string& url,
                                                              const std::string& protocol,
                                                              std::chrono::milliseconds timeout) {
  KATA_ASSIGN_OR_RETURN(StreamUrl u, parse_stream_url(url));
  Clock::time_point deadline = Clock::now() + timeout;
  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  tcp::resolver::results_type endpoints = tcp::resolver(impl->io).resolve(u.host, u.port, ec);
  if (ec) return Error(Code::kUnavailable, fmt::format("resolve `{}`: {}", u.host, ec.message()));
  ec = impl->run(remaining(deadline), [&](auto handler) {
    net::async_connect(impl->ws.next_layer(), endpoints, std::move(handler));
  });
  if (ec)
    return Error(Code::kUnavailable,
                 fmt::format("connect to {}:{}: {}", u.host, u.port, ec.message()));

  impl->ws.set_option(websocket::stream_base::decorator([protocol](websocket::request_type& req) {
    req.set(http::field::sec_websocket_protocol, protocol);
  }));
  impl->ws.binary(true);
  impl->ws.auto_fragment(false);
  websocket::response_type res;
  std::string host = u.host + ":" + u.port;
  ec = impl->run(remaining(deadline), [&](auto handler) {
    impl->ws.async_handshake(res, host, u.target, std::move(handler));
  });
  if (ec)
    return Error(Code::kUnavailable, fmt::format("WebSocket upgrade of `{}`: {} (HTTP {}: {})", url,
                                                 ec.message(), res.result_int(), res.body()));
  std::string chosen(res[http::field::sec_websocket_protocol]);
  if (chosen != protocol)
    return Error(Code::kUnavailable, fmt::format("WebSocket upgrade of `{}`: the server chose "
                                                 "subprotocol `{}`, not `{}`",
                                                 url, chosen, protocol));
  return std::unique_ptr<ChannelStream>(new ChannelStream(std::move(impl)));
}

Result<void> ChannelStream::send(uint8_t channel, std::string_view data,
                                 std::chrono::milliseconds timeout) {
  std::string frame(1, static_cast<char>(channel));
  frame.append(data);
  beast::error_code ec = impl_->run(timeout, [&](auto handler) {
    impl_->ws.async_write(net::buffer(frame), std::move(handler));
  });
  if (ec)
    return Error(Code::kUnavailable, fmt::format("send on channel {}: {}", channel, ec.message()));
  return {};
}

Result<std::optional<ChannelStream::Message>> ChannelStream::receive(
    std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    impl_->buffer.clear();
    beast::error_code ec = impl_->run(remaining(deadline), [&](auto handler) {
      impl_->ws.async_read(impl_->buffer, std::move(handler));
    });
    // Beast 1.74 can report the teardown after the server's Close frame (the server closes
    // its socket at once) as an error of its own; the received Close is what counts.
    if (ec == websocket::error::closed ||
        (ec && impl_->ws.reason().code != websocket::close_code::none)) {
      const websocket::close_reason& why = impl_->ws.reason();
      close_reason_ = fmt::format("{} '{}'", static_cast<int>(why.code),
                                  std::string(why.reason.data(), why.reason.size()));
      return std::optional<Message>();
    }
    if (ec) return Error(Code::kUnavailable, "receive: " + ec.message());
    if (impl_->ws.got_text()) return Error(Code::kDataLoss, "receive: a text message");
    std::string data = beast::buffers_to_string(impl_->buffer.data());
    // wsstream skips empty messages too: they name no channel.
    if (data.empty()) continue;
    return std::optional<Message>(Message{static_cast<uint8_t>(data[0]), data.substr(1)});
  }
}

Result<RemoteCommand> RemoteCommand::open(const std::string& url,
                                          std::chrono::milliseconds timeout) {
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<ChannelStream> stream,
                        ChannelStream::connect(url, kChannelProtocol, timeout));
  return RemoteCommand(std::move(stream));
}

Result<void> RemoteCommand::write_stdin(std::string_view data) {
  return stream_->send(kStdin, data, std::chrono::seconds(30)).context("write stdin");
}

Result<void> RemoteCommand::resize(uint16_t width, uint16_t height) {
  // remotecommand.TerminalSize has no JSON tags: the Go field names are the keys.
  return stream_
      ->send(kResize, fmt::format(R"({{"Width":{},"Height":{}}})", width, height),
             std::chrono::seconds(30))
      .context("resize");
}

Result<bool> RemoteCommand::pump(Clock::time_point deadline) {
  if (closed_) return false;
  KATA_ASSIGN_OR_RETURN(std::optional<ChannelStream::Message> m,
                        stream_->receive(remaining(deadline)));
  if (!m) {
    closed_ = true;
    return false;
  }
  switch (m->channel) {
    case kStdout:
      output_.out += m->data;
      break;
    case kStderr:
      output_.err += m->data;
      break;
    case kStatus:
      output_.status += m->data;
      break;
    default:
      return Error(Code::kDataLoss, fmt::format("a message on channel {}", m->channel));
  }
  return true;
}

Result<void> RemoteCommand::wait_for_output(std::string_view text,
                                            std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  while (output_.out.find(text) == std::string::npos) {
    Result<bool> more = pump(deadline);
    if (!more || !*more)
      return Error(more ? Code::kNotFound : more.error().code(),
                   fmt::format("wait for `{}` on stdout: {}; stdout so far `{}`, status `{}`", text,
                               more ? "the session ended" : more.error().message(), output_.out,
                               output_.status));
  }
  return {};
}

Result<int> RemoteCommand::wait(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    Result<bool> more = pump(deadline);
    if (!more) return std::move(more).error().context("wait for the end of the session");
    if (!*more) break;
  }
  if (output_.status.empty())
    return Error(Code::kDataLoss, fmt::format("the session ended (close {}) without a status",
                                              stream_->close_reason()));
  return exit_code_of_status(output_.status);
}

Result<PortForward> PortForward::open(const std::string& url, uint16_t port,
                                      std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  KATA_ASSIGN_OR_RETURN(std::unique_ptr<ChannelStream> stream,
                        ChannelStream::connect(url, kChannelProtocol, timeout));
  PortForward forward(std::move(stream), port);
  while (!forward.header_seen_[0] || !forward.header_seen_[1]) {
    KATA_ASSIGN_OR_RETURN(bool more, forward.pump(deadline));
    if (!more)
      return Error(Code::kDataLoss, fmt::format("port-forward closed before its port headers; "
                                                "error channel `{}`",
                                                forward.error_));
  }
  return forward;
}

Result<bool> PortForward::pump(Clock::time_point deadline) {
  if (closed_) return false;
  KATA_ASSIGN_OR_RETURN(std::optional<ChannelStream::Message> m,
                        stream_->receive(remaining(deadline)));
  if (!m) {
    closed_ = true;
    return false;
  }
  if (m->channel > 1)
    return Error(Code::kDataLoss,
                 fmt::format("a message on channel {} (one port only)", m->channel));
  std::string_view data = m->data;
  if (!header_seen_[m->channel]) {
    if (data.size() < 2)
      return Error(Code::kDataLoss, fmt::format("channel {}: a short port header", m->channel));
    unsigned got = static_cast<uint8_t>(data[0]) | static_cast<uint8_t>(data[1]) << 8;
    if (got != port_)
      return Error(Code::kDataLoss,
                   fmt::format("channel {} is for port {}, not {}", m->channel, got, port_));
    header_seen_[m->channel] = true;
    data.remove_prefix(2);
  }
  (m->channel == 0 ? data_ : error_).append(data);
  return true;
}

Result<void> PortForward::write(std::string_view data) {
  return stream_->send(0, data, std::chrono::seconds(30)).context("port-forward write");
}

Result<void> PortForward::wait(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    KATA_ASSIGN_OR_RETURN(bool more, pump(deadline));
    if (!more) return {};
  }
}

}  // namespace kata::cri
