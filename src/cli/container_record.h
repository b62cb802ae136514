#pragma once

// What `kata-runtime` keeps of each container between its calls, in
// <root>/<id>/state.json (root: --root, /run/kata-runtime by default). Every
// verb may run in another process, from another caller: this record names the
// sandbox service to ask, and the relay process that stands for the container
// on the host. The container's status is the service's; the record only says
// where to find it (docs/oci-cli.md).
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "sys/process_identity.h"

namespace kata::cli {

inline constexpr const char* kDefaultRoot = "/run/kata-runtime";

struct ContainerRecord {
  std::string id;
  std::string bundle;
  std::string rootfs;      // as config.json names it, made absolute
  std::string sandbox_id;  // the container's own id unless it joined a pod
  // The sandbox service's socket and process (the one that created this
  // container, or its pod's).
  std::string socket;
  sys::ProcessIdentity service;
  sys::ProcessIdentity relay;  // the init's relay: the pid callers see
  std::chrono::system_clock::time_point created{};
  std::map<std::string, std::string> annotations;
};

// <root>/<id>, and the files in it.
std::string container_dir(const std::string& root, const std::string& id);
std::string record_path(const std::string& root, const std::string& id);
// The socket of sandbox `sandbox_id`'s service, as containerd names its shims':
// <kServiceSocketDir>/<hash of root and id>.sock. Not under --root: callers choose
// long roots (Docker's /var/run/docker/runtime-runc/moby), and <root>/<64-hex
// id>/... would not fit in a sockaddr_un's 108 bytes.
inline constexpr const char* kServiceSocketDir = "/run/kata-runtime-services";
std::string service_socket(const std::string& root, const std::string& sandbox_id);

std::string encode_record(const ContainerRecord& record);
// INVALID_ARGUMENT naming the problem for anything but a record encode_record wrote.
Result<ContainerRecord> decode_record(const std::string& text);

// Writes <root>/<id>/state.json atomically (mode 0600).
Result<void> write_record(const std::string& root, const ContainerRecord& record);
// NOT_FOUND "container does not exist" (runc's words) when there is no record.
Result<ContainerRecord> read_record(const std::string& root, const std::string& id);
// Every container with a record under `root`, by id.
std::vector<ContainerRecord> list_records(const std::string& root);

// RFC 3339 with nanoseconds, UTC, as runc's state and list print `created`.
std::string rfc3339_nano(std::chrono::system_clock::time_point when);

}  // namespace kata::cli
