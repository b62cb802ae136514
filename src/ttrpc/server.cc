#include "ttrpc/server.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

#include "common/log.h"
#include "ttrpc/io.h"
#include "ttrpc/method_table.h"
#include "ttrpc/server_connection.h"

namespace kata::ttrpc {

struct Server::Impl {
  MethodTable methods;
  // Signalled once by shutdown(); the accept loops poll it.
  UniqueFd wake;
  std::optional<Error> wake_error;

  std::mutex mu;
  bool shut_down = false;
  // Connections being served, so that shutdown() can interrupt each one.
  std::set<ServerConnection*> connections;

  Status ready() const {
    if (wake) return {};
    return Error(*wake_error);
  }

  Result<void> serve_one(UniqueFd fd) noexcept;
};

namespace {

// The connection threads of one serve_listener() call. Finished ones are
// joined as new ones start, so a long-lived listener does not pile them up.
class ConnectionThreads {
 public:
  ~ConnectionThreads() { join_all(); }

  void start(std::function<void()> body) {
    reap();
    auto done = std::make_shared<std::atomic<bool>>(false);
    try {
      threads_.push_back({std::thread([body = std::move(body), done] {
                            body();
                            done->store(true);
                          }),
                          done});
    } catch (const std::system_error& e) {
      log::warn("ttrpc: drop connection: start connection thread: {}", e.what());
    }
  }

  void join_all() {
    for (Entry& e : threads_) e.thread.join();
    threads_.clear();
  }

 private:
  struct Entry {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  void reap() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (!it->done->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it = threads_.erase(it);
    }
  }

  std::vector<Entry> threads_;
};

// True when accept() failed for a reason that concerns only the one
// connection, or for a shortage that may pass.
bool accept_error_is_transient(int err) {
  switch (err) {
    case EINTR:
    case EAGAIN:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<void> Server::Impl::serve_one(UniqueFd fd) noexcept {
  try {
    KATA_ASSIGN_OR_RETURN(std::unique_ptr<ServerConnection> connection,
                          ServerConnection::create(std::move(fd), methods));
    {
      std::lock_guard lock(mu);
      if (shut_down) return {};
      connections.insert(connection.get());
    }
    struct Unregister {
      Impl& impl;
      ServerConnection* connection;
      ~Unregister() {
        std::lock_guard lock(impl.mu);
        impl.connections.erase(connection);
      }
    } unregister{*this, connection.get()};
    return connection->serve();
  } catch (const std::exception& e) {
    return Error(Code::kInternal, fmt::format("serve connection: {}", e.what()));
  } catch (...) {
    return Error(Code::kInternal, "serve connection: unknown exception");
  }
}

Server::Server() : impl_(std::make_unique<Impl>()) {
  Result<UniqueFd> wake = io::make_wake_fd();
  if (wake) {
    impl_->wake = std::move(*wake);
  } else {
    impl_->wake_error = std::move(wake).error().context("create ttrpc server");
  }
}

Server::~Server() { shutdown(); }

void Server::register_method(std::string service, std::string method, Handler handler) {
  impl_->methods.add(service, method, std::move(handler));
}

Result<std::string> Server::call(const CallContext& ctx, std::string_view payload) const {
  std::shared_ptr<const Handler> handler = impl_->methods.find(ctx.service, ctx.method);
  if (!handler) return not_implemented(ctx.service, ctx.method);
  return (*handler)(ctx, payload);
}

Result<void> Server::serve_connection(UniqueFd fd) {
  KATA_TRY(impl_->ready());
  if (!fd) return Error(Code::kInvalidArgument, "serve connection: invalid fd");
  return impl_->serve_one(std::move(fd));
}

Result<void> Server::serve_listener(UniqueFd listen_fd) {
  KATA_TRY(impl_->ready());
  if (!listen_fd) return Error(Code::kInvalidArgument, "serve listener: invalid fd");
  const int wake = impl_->wake.get();
  ConnectionThreads threads;
  for (;;) {
    Status ready = io::wait_ready(listen_fd.get(), POLLIN, wake);
    if (!ready) {
      if (ready.error().code() == Code::kCancelled) break;
      return std::move(ready).error().context("serve listener");
    }
    int fd = ::accept4(listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (!accept_error_is_transient(err)) return Error::from_errno(err, "serve listener: accept");
      if (err != EINTR && err != EAGAIN) {
        log::warn("ttrpc: accept: {}", std::strerror(err));
        // Out of fds or memory: back off instead of spinning on a listener
        // that stays readable, but still wake at once on shutdown.
        pollfd wake_poll{wake, POLLIN, 0};
        (void)::poll(&wake_poll, 1, 100);
      }
      continue;
    }
    threads.start([conn = std::make_shared<UniqueFd>(fd), impl = impl_.get()] {
      Result<void> served = impl->serve_one(std::move(*conn));
      if (!served) log::warn("ttrpc: connection closed: {}", served.error().message());
    });
  }
  threads.join_all();
  return {};
}

void Server::shutdown() {
  std::lock_guard lock(impl_->mu);
  impl_->shut_down = true;
  for (ServerConnection* connection : impl_->connections) connection->shutdown();
  if (impl_->wake) io::signal_wake(impl_->wake.get());
}

}  // namespace kata::ttrpc
