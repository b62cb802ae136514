#pragma once

// What several OCI verbs share: a container's record, its status as the
// sandbox service reports it, and the calls that need a live service.
#include <cstdint>
#include <string>

#include "cli/cli.h"
#include "cli/container_record.h"
#include "cli/service_client.h"

namespace kata::cli {

// runc's status words.
inline constexpr const char* kCreated = "created";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kPaused = "paused";
inline constexpr const char* kStopped = "stopped";

struct ContainerStatus {
  std::string status;  // one of the four above
  bool service_alive = false;
};

// The status of the container's init, from its service. A container whose
// service is gone, or that the service no longer knows, is stopped.
ContainerStatus query_status(const ContainerRecord& record);

// The pid callers know the container by: its relay's while it is not stopped, else 0.
uint32_t visible_pid(const ContainerRecord& record, const ContainerStatus& status);

// The record of `id` under the globals' root (NOT_FOUND "container does not exist").
Result<ContainerRecord> find_container(const GlobalOptions& g, const std::string& id);

Result<ServiceClient> connect_service(const ContainerRecord& record);

// Kill through the service (a name or number, as `kata-runtime kill` takes it).
Result<void> send_signal(const ContainerRecord& record, int signal, bool all);

// What create, run and exec refuse of a process's stdio, in runc's words: a
// terminal needs --console-socket (and a console socket needs a terminal), and
// host descriptors (--preserve-fds) cannot be passed into a VM.
Result<void> check_stdio_options(bool terminal, const std::string& console_socket, bool detach,
                                 int preserve_fds);

// The text of `path`, or of stdin for "-" (exec --process -, update --resources -).
Result<std::string> read_file_or_stdin(const std::string& path);

// "TERM", "SIGTERM", "15" → 15; INVALID_ARGUMENT otherwise ("unknown signal \"X\"").
Result<int> parse_signal(const std::string& text);

}  // namespace kata::cli
