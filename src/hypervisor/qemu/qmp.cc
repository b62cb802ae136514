#include "hypervisor/qemu/qmp.h"

#include <fmt/format.h>

#include <algorithm>

#include "sys/fd_io.h"
#include "sys/unix_socket.h"

namespace kata::hypervisor::qemu {
namespace {

using nlohmann::json;

// QMP messages are small; a line this long means we are not talking to QMP.
constexpr size_t kMaxLine = 1 << 20;

Code code_for_class(const std::string& error_class) {
  if (error_class == "CommandNotFound") return Code::kUnimplemented;
  if (error_class == "DeviceNotFound") return Code::kNotFound;
  return Code::kUnknown;
}

std::string excerpt(std::string_view s) {
  std::string out(s.substr(0, 80));
  if (s.size() > 80) out += "...";
  return out;
}

}  // namespace

Result<QmpClient> QmpClient::connect(const std::string& socket_path, sys::Deadline deadline) {
  KATA_ASSIGN_OR_RETURN(UniqueFd fd, sys::connect_unix(socket_path, deadline));
  return handshake(std::move(fd), deadline);
}

Result<QmpClient> QmpClient::handshake(UniqueFd fd, sys::Deadline deadline) {
  QmpClient client(std::move(fd));
  Result<json> greeting = client.read_message(deadline);
  if (!greeting) return std::move(greeting).error().context("qmp greeting");
  if (!greeting->contains("QMP")) {
    return Error(Code::kDataLoss, "qmp greeting: unexpected message " + excerpt(greeting->dump()));
  }
  const json& v = (*greeting)["QMP"]["version"]["qemu"];
  if (v.is_object()) {
    client.version_ =
        fmt::format("{}.{}.{}", v.value("major", 0), v.value("minor", 0), v.value("micro", 0));
  }
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - sys::Clock::now());
  KATA_TRY(
      client.execute("qmp_capabilities", nullptr, std::max(left, std::chrono::milliseconds{0})));
  return client;
}

Error QmpClient::broken(Error error) {
  broken_ = error.message();
  fd_.reset();
  return error;
}

Result<json> QmpClient::read_message(sys::Deadline deadline) {
  if (broken_) return Error(Code::kUnavailable, "qmp connection unusable: " + *broken_);
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      json message = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (message.is_discarded() || !message.is_object()) {
        return broken(Error(Code::kDataLoss, "qmp: not a QMP message: " + excerpt(line)));
      }
      return message;
    }
    if (buffer_.size() > kMaxLine) {
      return broken(Error(Code::kDataLoss, "qmp: line longer than 1 MiB: " + excerpt(buffer_)));
    }
    Result<std::string> chunk = sys::read_some(fd_.get(), 64 * 1024, deadline);
    if (!chunk) {
      if (chunk.error().code() == Code::kDeadlineExceeded) return std::move(chunk).error();
      return broken(std::move(chunk).error().context("qmp"));
    }
    if (chunk->empty()) return broken(Error(Code::kUnavailable, "qmp: connection closed by QEMU"));
    buffer_ += *chunk;
  }
}

void QmpClient::keep_event(const json& message) {
  QmpEvent e{message["event"].is_string() ? message["event"].get<std::string>() : "",
             message.value("data", json())};
  events_.push_back(std::move(e));
  if (events_.size() > kMaxEvents) events_.pop_front();
}

Result<json> QmpClient::read_reply(std::string_view command, uint64_t id, sys::Deadline deadline) {
  for (;;) {
    KATA_ASSIGN_OR_RETURN(json message, read_message(deadline));
    if (message.contains("event")) {
      keep_event(message);
      continue;
    }
    // A reply to a command that timed out earlier: its caller is gone.
    if (!message.contains("id") || message["id"] != id) continue;
    if (message.contains("return")) return std::move(message["return"]);
    if (message.contains("error")) {
      const json& e = message["error"];
      std::string desc = e.value("desc", std::string("(no description)"));
      return Error(code_for_class(e.value("class", std::string())), desc);
    }
    return broken(Error(Code::kDataLoss, "qmp: unexpected reply " + excerpt(message.dump())));
  }
}

Result<json> QmpClient::execute(std::string_view command, const json& arguments,
                                std::chrono::milliseconds timeout) {
  std::string ctx = fmt::format("qmp `{}`", command);
  sys::Deadline deadline = sys::deadline_after(timeout);
  uint64_t id = next_id_++;
  json request = {{"execute", command}, {"id", id}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  if (broken_) return Error(Code::kUnavailable, ctx + ": connection unusable: " + *broken_);
  Result<void> sent = sys::write_all(fd_.get(), request.dump() + "\n", deadline);
  if (!sent) return broken(std::move(sent).error().context(ctx));
  Result<json> reply = read_reply(command, id, deadline);
  if (!reply && reply.error().code() == Code::kDeadlineExceeded) {
    return Error(Code::kDeadlineExceeded,
                 fmt::format("{}: no reply within {} ms", ctx, timeout.count()), ETIMEDOUT);
  }
  return std::move(reply).context(ctx);
}

Result<std::string> QmpClient::query_status(std::chrono::milliseconds timeout) {
  KATA_ASSIGN_OR_RETURN(json r, execute("query-status", nullptr, timeout));
  if (!r.contains("status") || !r["status"].is_string()) {
    return Error(Code::kDataLoss, "qmp `query-status`: no status in " + excerpt(r.dump()));
  }
  return r["status"].get<std::string>();
}

Result<void> QmpClient::system_powerdown(std::chrono::milliseconds timeout) {
  KATA_TRY(execute("system_powerdown", nullptr, timeout));
  return {};
}

Result<void> QmpClient::quit(std::chrono::milliseconds timeout) {
  Result<json> r = execute("quit", nullptr, timeout);
  // QEMU may exit before its reply reaches us; a closed connection means it is done.
  if (!r && r.error().code() != Code::kUnavailable) return std::move(r).error();
  return {};
}

Result<QmpEvent> QmpClient::wait_event(std::string_view name, std::chrono::milliseconds timeout) {
  sys::Deadline deadline = sys::deadline_after(timeout);
  for (;;) {
    auto it = std::find_if(events_.begin(), events_.end(),
                           [&](const QmpEvent& e) { return e.name == name; });
    if (it != events_.end()) {
      QmpEvent e = std::move(*it);
      events_.erase(it);
      return e;
    }
    Result<json> message = read_message(deadline);
    if (!message) {
      return std::move(message).error().context(fmt::format("qmp: wait for event {}", name));
    }
    if (message->contains("event")) keep_event(*message);
  }
}

std::optional<QmpEvent> QmpClient::last_event(std::string_view name) const {
  for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
    if (it->name == name) return *it;
  }
  return std::nullopt;
}

}  // namespace kata::hypervisor::qemu
