#pragma once

// The pieces of cni_env that a runtime (CRI, podman) needs to run CNI itself: a named
// network namespace, the CNI 1.0 exec protocol over a conflist, and reading its result.
// Internal to cni_env.cc; separate so that each file stays about one thing.

#include <string>
#include <vector>

#include "common/result.h"
#include "e2e/cni_env.h"

namespace kata::e2e::cni {

// The environment of one plugin run besides CNI_COMMAND and CNI_PATH.
struct Invocation {
  std::string container_id;
  std::string netns;   // the nsfs file's path
  std::string ifname;  // "eth0", "lo"
};

// The conflist of CniEnv's network: bridge + host-local on kCniSubnet, then portmap (the
// CRI harness gives its own bridge and subnet).
std::string bridge_conflist(const std::string& network, const std::string& ipam_dir,
                            const std::string& bridge = kCniBridge,
                            const std::string& subnet = kCniSubnet);
// CRI's own loopback network for `lo`.
std::string loopback_conflist();

// ADD through the conflist's plugins in order, each one's result the next one's
// prevResult, portMappings given to the plugins that declare that capability. Returns
// the final result (JSON text).
Result<std::string> add(const std::string& conflist, const Invocation& invocation,
                        const std::vector<PortMapping>& ports);
// DEL through the plugins in reverse with `prev_result` (the final ADD result, or ""
// when ADD failed part-way); every plugin is run, the first error is returned.
Result<void> del(const std::string& conflist, const Invocation& invocation,
                 const std::vector<PortMapping>& ports, const std::string& prev_result);

// The interface named `ifname` inside the namespace, its IPv4 address and default route.
Result<CniResult> parse_result(const std::string& json, const std::string& ifname);

// An empty file at `path` with a fresh network namespace bind-mounted on it (what `ip
// netns add` does, without its /run/netns).
Result<void> make_netns(const std::string& path);
// Unmounts and unlinks it.
Result<void> remove_netns(const std::string& path);

}  // namespace kata::e2e::cni
