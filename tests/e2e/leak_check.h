#pragma once

// What a Kata++ sandbox may leave on the host, checked after each e2e test:
// processes (QEMU, virtiofsd, shim), mounts, state directories, shim
// sockets and host cgroups. Every check is a read of /proc or of a directory, nothing more.

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kata::e2e {

struct LeakReport {
  std::vector<std::string> leaks;  // one line each: "process 123: /usr/bin/qemu-system-x86_64 ..."
  bool clean() const { return leaks.empty(); }
  std::string describe() const;
};

// The entries of /run/containerd/s now (empty if it does not exist), to be compared after
// the test: containerd 1.6 shims bind their sockets there whatever containerd's state dir.
std::set<std::string> shim_socket_snapshot();

// The socket path containerd 1.6 derives for a shim: /run/containerd/s/hex(sha256(
// "<containerd address>/<namespace>/<id>")).
std::string shim_socket_path(const std::string& containerd_address, const std::string& ns,
                             const std::string& id);

// Whether `text` names `id` as a whole word or path component ("-name x", "/run/x/y",
// "source=/s/x"), not as a prefix of another id ("x2").
bool mentions_id(std::string_view text, std::string_view id);

// Everything of sandbox `id` still present: a process whose command line mentions it,
// a mount whose mountinfo line mentions it (both as mentions_id() reads them),
// /run/kata-containers/<id>, /run/kata-containers/shared/sandboxes/<id>, its shim socket, any
// socket in /run/containerd/s that appeared since `sockets_before` and that nobody listens on,
// and a cgroup named `id` (the sandbox's host cgroup, or runc's container cgroup).
LeakReport check_sandbox_leaks(const std::string& id, const std::string& containerd_address,
                               const std::string& ns, const std::set<std::string>& sockets_before);

// check_sandbox_leaks until it is clean or `timeout` passed: the shim exits a
// moment after containerd deleted the task, and is allowed that moment.
LeakReport wait_for_no_leaks(const std::string& id, const std::string& containerd_address,
                             const std::string& ns, const std::set<std::string>& sockets_before,
                             std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace kata::e2e
