#pragma once

// Text views of a network namespace's state, for before/after comparisons: what the host
// looks like to `ip` (links, addresses, IPv4 and IPv6 routes), and what Kata++'s tcfilter
// plumbing would leave in a CNI namespace (links, qdiscs, eth0's ingress filters).

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace kata::e2e {

// Runs `argv` in the network namespace at `netns_path` (through nsenter), or in ours when
// it is empty; its stdout. Fails, with stderr, if it does not exit 0.
Result<std::string> run_in_netns(const std::string& netns_path, std::vector<std::string> argv);

// `ip -o link`, `ip -o addr`, `ip route`, `ip -6 route` of the namespace, one section each.
Result<std::string> ip_snapshot(const std::string& netns_path = "");

// ip_snapshot() once it stopped changing: two equal ones 500 ms apart. A bridge's loss of
// carrier reaches its flags and routes a moment after its last port went (the kernel's
// linkwatch delays it up to a second). DEADLINE_EXCEEDED after `timeout`.
Result<std::string> settled_ip_snapshot(std::chrono::milliseconds timeout);

// diff_lines(before, ip_snapshot()), polled until it is "" or `timeout` passed: the last one.
Result<std::string> ip_diff_within(const std::string& before, std::chrono::milliseconds timeout);

// `ip -o link`, `tc qdisc show`, `tc filter show dev eth0 ingress` of the namespace.
Result<std::string> tc_snapshot(const std::string& netns_path);

// The lines of `before` not in `after` ("- line") and those of `after` not in `before`
// ("+ line"), one per line; "" when both hold the same lines.
std::string diff_lines(const std::string& before, const std::string& after);

}  // namespace kata::e2e
