#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "agent/container/spec.h"
#include "common/result.h"
#include "common/unique_fd.h"

// The device cgroup under cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program,
// built from linux.resources.devices and attached to the container's cgroup,
// decides every open and mknod of a device node by its members.
namespace kata::agent::container {

// `rules` followed by runc's default allowed devices (runc appends them to
// every spec's): mknod of any char or block node, rwm on null, zero, full,
// random, urandom, tty, ptmx (5:2) and /dev/pts/* (136:*). Pure.
std::vector<DeviceRule> with_default_device_rules(std::vector<DeviceRule> rules);

// The program that enforces `rules`. Pure. Semantics:
// - the default is deny; a type `a` rule drops the rules before it and sets the
//   default to its own verdict (so `a *:* rwm` allow is the privileged allow-all);
// - each access of a request (read, write, mknod: an O_RDWR open asks for two)
//   is decided by the last rule that names it and matches the device's type,
//   major and minor (-1 matches any), else by the default; the request passes
//   only when each of its accesses does. For one access this is runc's "last
//   matching rule wins"; for several it is stricter than runc with a partial
//   deny and as lenient as cgroup v1's merged allows.
// INVALID_ARGUMENT for a type other than a, c (or u), b, an access letter other
// than r, w, m, or a major or minor beyond 32 bits.
Result<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads `program` into the kernel: its verifier's refusal comes with the tail of its log.
Result<UniqueFd> load_device_filter(const std::vector<bpf_insn>& program);

// Loads `program` and attaches it to the cgroup directory `cgroup_dir`, then
// detaches whatever device programs were attached there before: an update
// never leaves a moment without a filter (both run, and both must allow).
Result<void> attach_device_filter(const std::string& cgroup_dir,
                                  const std::vector<bpf_insn>& program);

}  // namespace kata::agent::container
