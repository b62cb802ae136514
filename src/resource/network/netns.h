#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::resource::network {

// A network namespace held by an open nsfs fd. Nothing is bind-mounted, so nothing can
// leak: the namespace dies with its last reference (this fd, a dup of it, a process in
// it, a tap or socket created in it).
class NetNs {
 public:
  // Opens an existing namespace (`/proc/<pid>/ns/net`, `/run/netns/<name>`, the path a
  // CNI runtime hands over) and refuses anything that is not a network namespace.
  static Result<NetNs> open(const std::string& path);
  // A fresh, empty namespace (only `lo`, down). Created on a short-lived thread so that
  // no thread of the caller ever changes namespace.
  static Result<NetNs> create();
  // The namespace of the calling thread.
  static Result<NetNs> current();

  NetNs(NetNs&&) noexcept = default;
  NetNs& operator=(NetNs&&) noexcept = default;

  // For a launcher that setns()es a child into it before exec; still owned by this.
  int fd() const { return fd_.get(); }
  // The nsfs inode: two NetNs with the same inode are the same namespace.
  ino_t inode() const { return inode_; }

  // Runs `fn` (returning a Result<T>) on a temporary thread that has entered this
  // namespace, and returns its result: the calling thread never changes namespace, so a
  // failure half-way cannot leave it in the wrong one. Sockets, taps and processes `fn`
  // creates belong to this namespace; a netlink socket keeps the namespace it was
  // created in, so `fn` must create its own rather than use one from outside.
  template <typename F>
  std::invoke_result_t<F&> run_in(F&& fn) const {
    using R = std::invoke_result_t<F&>;
    std::optional<R> out;
    Status entered = run_on_thread([&] { out.emplace(fn()); });
    if (!entered) return std::move(entered).error();
    return std::move(*out);
  }

 private:
  NetNs(UniqueFd fd, ino_t inode) : fd_(std::move(fd)), inode_(inode) {}
  static Result<NetNs> adopt(UniqueFd fd, const std::string& path);
  Status run_on_thread(const std::function<void()>& fn) const;

  UniqueFd fd_;
  ino_t inode_ = 0;
};

// "network", "mount", ... for a CLONE_NEW* value, as NS_GET_NSTYPE returns it.
std::string namespace_type_name(int clone_flag);

}  // namespace kata::resource::network
