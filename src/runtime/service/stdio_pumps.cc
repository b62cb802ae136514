#include "runtime/service/stdio_pumps.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/log.h"

namespace kata::runtime::service {
namespace {

constexpr uint32_t kChunk = 32 * 1024;

Result<void> write_fully(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, "write stdio");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

StdioPumps::StdioPumps(std::shared_ptr<agent_client::Agent> agent, std::string container_id,
                       std::string exec_id, StdioFiles files)
    : agent_(std::move(agent)),
      container_id_(std::move(container_id)),
      exec_id_(std::move(exec_id)),
      sink_(std::move(files.sink)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_.reset(fds[0]);
    wake_write_.reset(fds[1]);
  }
  if (files.in) {
    stdin_thread_ =
        std::thread([this, in = std::move(files.in)]() mutable { pump_stdin(std::move(in)); });
  }
  stdout_thread_ = std::thread(
      [this, out = std::move(files.out)]() mutable { pump_output(std::move(out), false); });
  if (!files.terminal) {
    stderr_thread_ = std::thread(
        [this, err = std::move(files.err)]() mutable { pump_output(std::move(err), true); });
  }
}

StdioPumps::~StdioPumps() {
  stop_stdin();
  for (std::thread* t : {&stdin_thread_, &stdout_thread_, &stderr_thread_}) {
    if (t->joinable()) t->join();
  }
}

void StdioPumps::wait_output_drained() {
  if (stdout_thread_.joinable()) stdout_thread_.join();
  if (stderr_thread_.joinable()) stderr_thread_.join();
}

void StdioPumps::close_stdin() {
  if (!stdin_thread_.joinable()) {
    (void)agent_->close_stdin(container_id_, exec_id_);  // best effort: maybe it exited
    return;
  }
  close_requested_ = true;
  wake_stdin();
}

void StdioPumps::stop_stdin() {
  stopped_ = true;
  wake_stdin();
}

void StdioPumps::wake_stdin() {
  char byte = 1;
  if (wake_write_) (void)!::write(wake_write_.get(), &byte, 1);
}

bool StdioPumps::forward_stdin(std::string_view data) {
  while (!data.empty()) {
    Result<uint32_t> took = agent_->write_stdin(container_id_, exec_id_, data);
    if (!took || *took == 0) {
      log::debug("copy stdin of {}/{}: {}", container_id_, exec_id_,
                 took ? "the process takes no more" : took.error().message());
      return false;
    }
    data.remove_prefix(std::min<size_t>(*took, data.size()));
  }
  return true;
}

bool StdioPumps::copy_stdin(int in) {
  char buf[kChunk];
  for (;;) {
    pollfd fds[2] = {{in, POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (stopped_) return false;  // the process exited
    ssize_t n = ::read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    // Nothing more right now: after CloseIO that is the end, else wait for more.
    if (n < 0 && errno == EAGAIN) {
      if (close_requested_) return true;
      continue;
    }
    if (n <= 0) return true;  // every writer closed
    if (!forward_stdin(std::string_view(buf, static_cast<size_t>(n)))) return false;
  }
}

void StdioPumps::pump_stdin(UniqueFd in) {
  if (!copy_stdin(in.get())) return;
  Result<void> closed = agent_->close_stdin(container_id_, exec_id_);
  if (!closed) {
    log::debug("close stdin of {}/{}: {}", container_id_, exec_id_, closed.error().message());
  }
}

void StdioPumps::pump_output(UniqueFd out, bool is_stderr) {
  for (;;) {
    Result<std::string> data = is_stderr ? agent_->read_stderr(container_id_, exec_id_, kChunk)
                                         : agent_->read_stdout(container_id_, exec_id_, kChunk);
    if (!data || data->empty()) return;
    if (!out) continue;  // nobody to give it to: drain so the guest never blocks
    Result<void> written = write_fully(out.get(), *data);
    if (!written) {
      log::warn("copy {} of {}/{}: {}", is_stderr ? "stderr" : "stdout", container_id_, exec_id_,
                written.error().message());
      out.reset();
    }
  }
}

}  // namespace kata::runtime::service
