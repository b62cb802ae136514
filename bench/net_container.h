#pragma once

// The container side of bench/net: `ctr run --rm --cni` of the busybox test image with
// busybox httpd and two nc servers (a TCP sink and a TCP source, see net_probe.h), on
// the e2e harness's CNI bridge.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "e2e/cni_env.h"
#include "e2e/containerd_env.h"

namespace kata::bench {

inline constexpr int kSinkPort = 5001;
inline constexpr int kSourcePort = 5002;
inline constexpr int kHttpPort = 8080;

// A running container and the address CNI gave it.
struct Served {
  std::string id, address;
  e2e::BackgroundProcess run;  // the `ctr run` that owns it
};

// Starts one under `runtime` and waits until it serves; its id is appended to `ids`
// first, so that the caller's leak check covers a failed start too.
Result<Served> serve(e2e::ContainerdEnv& env, const e2e::CniEnv& cni, const std::string& runtime,
                     std::vector<std::string>& ids);

// Kills its task; `ctr run --rm` then deletes the container and releases CNI's lease.
Status stop(const e2e::ContainerdEnv& env, Served& s);

// The task pid `ctr task ls` shows: QEMU's for Kata++, so its network namespace is the
// sandbox's.
Result<pid_t> task_pid(const e2e::ContainerdEnv& env, const std::string& id);

}  // namespace kata::bench
