#include "agent/serial_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/strings.h"
#include "ttrpc/frame.h"

namespace kata::agent {
namespace {

// Backoff while no host is connected: short first so that a host connecting
// right away is served at once, capped so an idle agent wakes a few times a second.
constexpr int kMinBackoffMs = 1;
constexpr int kMaxBackoffMs = 100;
constexpr size_t kReadChunk = 64 * 1024;
// Stop reading a side while this much of it waits for the other: a peer that
// does not read must not make the agent buffer without bound.
constexpr size_t kMaxBuffered = 8u << 20;
// virtio_console can hand over a new host's first bytes before it processes
// the host's "port open" notice (data and control travel on different queues,
// and control messages wait for a kworker), so POLLHUP right after data may be
// stale. Only a hangup that outlasts this, with no data, ends the session.
constexpr auto kHangupGrace = std::chrono::milliseconds(250);

enum class Io { kOk, kEof, kError };

// Appends what is readable now. EAGAIN is kOk with nothing read.
Io read_some(int fd, std::string& buf) {
  char chunk[kReadChunk];
  ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n > 0) {
    buf.append(chunk, static_cast<size_t>(n));
    return Io::kOk;
  }
  if (n == 0) return Io::kEof;
  return errno == EAGAIN || errno == EINTR ? Io::kOk : Io::kError;
}

Io write_some(int fd, std::string& buf) {
  ssize_t n = ::write(fd, buf.data(), buf.size());
  if (n >= 0) {
    buf.erase(0, static_cast<size_t>(n));
    return Io::kOk;
  }
  return errno == EAGAIN || errno == EINTR ? Io::kOk : Io::kError;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Session threads: finished ones are joined as new ones start; the rest on exit.
// Not joined at session end because a handler may take a while to notice that
// its client is gone, and the next client must not wait for it.
class SessionThreads {
 public:
  ~SessionThreads() {
    for (Entry& e : threads_) e.thread.join();
  }
  void start(const ServeFn& serve, UniqueFd fd) {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    auto conn = std::make_shared<UniqueFd>(std::move(fd));
    threads_.push_back({std::thread([&serve, conn, done] {
                          serve(std::move(*conn));
                          done->store(true);
                        }),
                        done});
  }

 private:
  struct Entry {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Entry> threads_;
};

class Relay {
 public:
  Relay(UniqueFd port, const ServeFn& serve, int stop_fd)
      : port_(std::move(port)), serve_(serve), stop_fd_(stop_fd) {}
  // The session must see EOF before its thread is joined.
  ~Relay() { session_.reset(); }

  Result<void> run();

 private:
  Result<void> start_session();
  // `keep_replies`: the session's client is still there to get them.
  void end_session(const char* why, bool keep_replies = false);
  void host_gone();
  Result<bool> on_hangup();
  bool wait_backoff();
  Result<void> on_host_data();
  // false: asked to stop while waiting for a host.
  Result<bool> on_port(short events);
  void on_session(short events);

  UniqueFd port_;
  const ServeFn& serve_;
  int stop_fd_;
  UniqueFd session_;  // our end of the current session's socketpair
  uint64_t session_generation_ = 0;
  std::string from_host_;   // read from the port, not yet given to a session
  std::string to_session_;  // for the current session
  std::string to_host_;     // the current session's replies
  HostStreamTracker tracker_;
  int backoff_ms_ = kMinBackoffMs;
  std::chrono::steady_clock::time_point last_host_data_{};
  SessionThreads threads_;
};

Result<void> Relay::start_session() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error::from_errno(errno, "socketpair for a serial session");
  }
  session_.reset(sv[0]);
  ++session_generation_;
  set_nonblocking(sv[0]);
  try {
    threads_.start(serve_, UniqueFd(sv[1]));
  } catch (const std::system_error& e) {
    session_.reset();
    return Error(Code::kResourceExhausted, std::string("start serial session: ") + e.what());
  }
  log::debug("serial: session started");
  return {};
}

void Relay::end_session(const char* why, bool keep_replies) {
  if (session_) log::debug("serial: session ended ({})", why);
  // Closing our end is the server's EOF: it cancels the client's calls.
  session_.reset();
  ++session_generation_;
  to_session_.clear();
  // A reply cut short here is lost with its client; the next client must not
  // get the rest.
  if (!keep_replies) to_host_.clear();
  tracker_.reset();
}

void Relay::host_gone() {
  // A frame the gone client left half sent is not the next client's.
  from_host_.clear();
  end_session("host closed the port");
}

Result<bool> Relay::on_hangup() {
  size_t before = from_host_.size();
  if (read_some(port_.get(), from_host_) == Io::kError) {
    return Error::from_errno(errno, "read serial port");
  }
  auto now = std::chrono::steady_clock::now();
  if (from_host_.size() > before) {
    // Bytes despite the hangup: a host that is connecting (see kHangupGrace).
    last_host_data_ = now;
    KATA_TRY(on_host_data());
    return true;
  }
  if (!session_ || now - last_host_data_ >= kHangupGrace) host_gone();
  return wait_backoff();
}

// Sleeps one backoff step; false when asked to stop.
bool Relay::wait_backoff() {
  pollfd p{stop_fd_, POLLIN, 0};
  int n = ::poll(&p, stop_fd_ >= 0 ? 1 : 0, backoff_ms_);
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
  return !(n > 0 && (p.revents & POLLIN));
}

Result<void> Relay::on_host_data() {
  while (tracker_.forward(from_host_, to_session_)) {
    // Whatever the old client still had in flight goes with it.
    end_session("a new host client started");
  }
  if (!session_ && !to_session_.empty()) KATA_TRY(start_session());
  return {};
}

Result<bool> Relay::on_port(short events) {
  if (events & (POLLERR | POLLNVAL)) return Error(Code::kUnavailable, "serial port in error state");
  // virtio_console reports POLLHUP for as long as no host is connected.
  if (events & POLLHUP) return on_hangup();
  backoff_ms_ = kMinBackoffMs;
  if (events & POLLIN) {
    last_host_data_ = std::chrono::steady_clock::now();
    Io r = read_some(port_.get(), from_host_);
    if (r == Io::kError) return Error::from_errno(errno, "read serial port");
    if (r == Io::kEof) {
      host_gone();
      return true;
    }
    KATA_TRY(on_host_data());
  }
  if ((events & POLLOUT) && write_some(port_.get(), to_host_) == Io::kError) {
    return Error::from_errno(errno, "write serial port");
  }
  return true;
}

void Relay::on_session(short events) {
  if (events & (POLLIN | POLLHUP | POLLERR)) {
    if (read_some(session_.get(), to_host_) != Io::kOk) {
      // The server gave up on the stream (a frame it could not decode); what
      // follows from the host is no longer framed where we think.
      from_host_.clear();
      end_session("server closed the session", /*keep_replies=*/true);
      return;
    }
  }
  if ((events & POLLOUT) && write_some(session_.get(), to_session_) == Io::kError) {
    end_session("session write failed", /*keep_replies=*/true);
  }
}

Result<void> Relay::run() {
  set_nonblocking(port_.get());
  for (;;) {
    const bool host_readable = from_host_.size() + to_session_.size() < kMaxBuffered;
    const bool session_readable = to_host_.size() < kMaxBuffered;
    pollfd fds[3] = {
        {port_.get(),
         static_cast<short>((host_readable ? POLLIN : 0) | (to_host_.empty() ? 0 : POLLOUT)), 0},
        {session_ ? session_.get() : -1,
         static_cast<short>((session_readable ? POLLIN : 0) | (to_session_.empty() ? 0 : POLLOUT)),
         0},
        {stop_fd_, POLLIN, 0},
    };
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "poll serial port");
    }
    if (fds[2].revents) return {};
    // The port's events may end the polled session and start another on the
    // same fd number; the old session's events are not the new one's.
    const uint64_t polled = session_generation_;
    KATA_ASSIGN_OR_RETURN(bool keep_going, on_port(fds[0].revents));
    if (!keep_going) return {};
    if (session_ && polled == session_generation_ && fds[1].revents) on_session(fds[1].revents);
  }
}

}  // namespace

bool HostStreamTracker::forward(std::string& in, std::string& out) {
  size_t pos = 0;
  bool new_client = false;
  while (pos < in.size()) {
    if (payload_left_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(payload_left_, in.size() - pos));
      pos += n;
      payload_left_ -= n;
      continue;
    }
    if (in.size() - pos < ttrpc::kFrameHeaderSize) break;
    ttrpc::HeaderBytes bytes;
    std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(pos), bytes.size(), bytes.begin());
    ttrpc::FrameHeader h = ttrpc::decode_header(bytes);
    if (h.type == static_cast<uint8_t>(ttrpc::FrameType::kRequest)) {
      if (seen_request_ && h.stream_id <= last_request_id_) {
        new_client = true;
        break;
      }
      seen_request_ = true;
      last_request_id_ = h.stream_id;
    }
    pos += ttrpc::kFrameHeaderSize;
    payload_left_ = h.data_length;
  }
  out.append(in, 0, pos);
  in.erase(0, pos);
  return new_client;
}

void HostStreamTracker::reset() {
  payload_left_ = 0;
  seen_request_ = false;
  last_request_id_ = 0;
}

Result<void> relay_serial_port(UniqueFd port, const ServeFn& serve, int stop_fd) {
  Relay relay(std::move(port), serve, stop_fd);
  return relay.run();
}

Result<void> serve_serial_port(const std::string& path, const ServeFn& serve) {
  UniqueFd port(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (!port) return Error::from_errno(errno, fmt_path("open", path));
  return relay_serial_port(std::move(port), serve).context("serve " + path);
}

}  // namespace kata::agent
