#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "oci.pb.h"

namespace kata::oci {

// The OCI runtime spec on the host: config.json (and the Process / LinuxResources JSON that
// `ctr task exec` and `ctr task update` send) decoded into the agent's grpc messages of
// proto/oci.proto. Every error is INVALID_ARGUMENT naming the JSON path and the reason
// ("parse OCI spec: process.user.uid: expected an unsigned 32-bit integer, got number -1"),
// except a bundle that cannot be read, which keeps its errno (NOT_FOUND, ...).

// Decodes and validates a config.json: root.path must be set, process is required and needs
// args and an absolute cwd, mount destinations must be absolute, namespaces known and not
// repeated, hooks and devices absolute paths; ids, rlimits, sysctls and resource limits within
// what runc 1.1 accepts (oci/validate.h, docs/oci.md "What is refused"); JSON at most 1000
// levels deep. Unknown keys are ignored.
Result<grpc::Spec> parse_spec(std::string_view config_json);

// parse_spec of `<bundle_dir>/config.json`.
Result<grpc::Spec> load_bundle_spec(const std::string& bundle_dir);

// A runtime-spec Process (as `ctr task exec` sends it), validated as process in parse_spec.
Result<grpc::Process> parse_process(std::string_view process_json);

// A runtime-spec LinuxResources (as `ctr task update` sends it).
Result<grpc::LinuxResources> parse_resources(std::string_view resources_json);

// The spec as JSON with runtime-spec keys, only the fields that are set (logs, debugging).
std::string to_json(const grpc::Spec& spec);

enum class ContainerType { kSingle, kPodSandbox, kPodContainer };

struct PodInfo {
  ContainerType type = ContainerType::kSingle;
  // kSingle: empty. kPodContainer: the sandbox it joins (required). kPodSandbox: the id the
  // manager gave the pod sandbox when it set one (containerd and CRI-O do), else empty.
  std::string sandbox_id;
};

// What the container is to a pod, from the annotations of containerd's CRI plugin
// (io.kubernetes.cri.container-type / sandbox-id), CRI-O (io.kubernetes.cri-o.ContainerType /
// SandboxID) or dockershim (io.kubernetes.docker.type / io.kubernetes.sandbox.id). No type
// annotation: kSingle. An unknown type, managers that disagree, a pod container without
// sandbox id or a sandbox id that is not a safe path component: INVALID_ARGUMENT.
Result<PodInfo> pod_info(const grpc::Spec& spec);

// For the container that makes the VM (kSingle, kPodSandbox): refuses a spec that asks for
// the host's network, PID or IPC namespace, i.e. has no linux.namespaces entry of that type
// (`ctr run --net-host`, a pod's hostNetwork/hostPID/hostIPC). runc joins the host's; a
// container in a VM cannot, and running it isolated instead would be a silent lie.
// FAILED_PRECONDITION naming the entry. Pod containers are not checked: theirs name the
// sandbox's namespaces.
Status refuse_host_namespaces(const grpc::Spec& spec);

// What a container's limits add to its VM, as upstream Kata sizes a sandbox statically
// (static_sandbox_resource_mgmt): its memory limit in MiB, rounded up, and its CPU quota in
// whole vCPUs (quota / period, rounded up). 0 where the spec sets no limit.
struct ContainerSize {
  uint64_t memory_mib = 0;
  uint64_t vcpus = 0;
};
ContainerSize container_size(const grpc::Spec& spec);

// The pod's size as containerd (1.6 and later) puts it on the sandbox container for
// runtimes that size a VM: the sum of the pod's limits, in the annotations below (the
// kubelet's LinuxPodSandboxConfig.resources). 0 where absent or not a number.
inline constexpr char kSandboxMemoryAnnotation[] = "io.kubernetes.cri.sandbox-memory";
inline constexpr char kSandboxCpuQuotaAnnotation[] = "io.kubernetes.cri.sandbox-cpu-quota";
inline constexpr char kSandboxCpuPeriodAnnotation[] = "io.kubernetes.cri.sandbox-cpu-period";
ContainerSize pod_size(const grpc::Spec& spec);

// True when linux.namespaces has a "pid" entry with a path: the container joins another
// process's pid namespace, for a pod container the sandbox's (CRI's shareProcessNamespace
// gives /proc/<pause pid>/ns/pid). The guest agent does it for
// CreateContainerRequest.sandbox_pidns; adapt_for_guest drops the path.
bool joins_pid_namespace(const grpc::Spec& spec);

// Rewrites `spec` into the one the guest agent must see (CreateContainerRequest.OCI); each
// change is explained in oci/guest.cc. Mount sources are left to the caller, which knows
// where it shared each one in the guest.
void adapt_for_guest(grpc::Spec& spec, const std::string& guest_rootfs);

}  // namespace kata::oci
