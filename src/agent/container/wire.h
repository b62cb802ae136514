#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "agent/container/spec.h"
#include "common/result.h"
#include "common/unique_fd.h"

// The agent and the container init (`kata-agent init`, a re-exec of the agent
// in the container's new namespaces) talk over one inherited socket: the agent
// sends an InitConfig, the init answers with status messages. Frames are a
// 32-bit length followed by the payload; a frame may carry one descriptor
// (SCM_RIGHTS), which arrives with the bytes of that frame and no other.
namespace kata::agent::container {

enum class InitMode : uint8_t { kCreate = 1, kExec = 2 };

struct InitConfig {
  InitMode mode = InitMode::kCreate;
  ContainerSpec spec;      // kExec: only `process`, `seccomp` and `id` are used
  pid_t target_pid = 0;    // kExec: the container init whose namespaces to join
  std::string cgroup_dir;  // absolute; "" = stay in the agent's cgroup
  // kCreate: namespaces the init joins (setns) before anything else, by type ("ipc", "uts")
  // to a namespace file; the others it was cloned into.
  std::map<std::string, std::string> join_namespaces;
};

// Status messages from the init, one frame each.
enum class InitMsg : char {
  kReady = 'R',    // set up; waiting for kStart (create) or exec'ing now (exec)
  kError = 'E',    // followed by a code and a message; the init exits
  kPid = 'P',      // exec: the pid of the process that will exec the workload
  kConsole = 'C',  // terminal: the frame carries the pty master (before kReady / exec)
};
constexpr char kStartByte = 'S';
// The inherited socket's number in the init.
constexpr int kInitSocketFd = 3;
// Frames larger than this are refused: a config is a few KiB.
constexpr uint32_t kMaxFrame = 4u << 20;

std::string encode_config(const InitConfig& config);
Result<InitConfig> decode_config(std::string_view bytes);

std::string encode_ready();
std::string encode_error(const Error& error);
std::string encode_pid(pid_t pid);
std::string encode_console();
// One decoded status message.
struct InitStatus {
  InitMsg kind = InitMsg::kReady;
  pid_t pid = 0;
  Code code = Code::kOk;
  std::string message;
};
Result<InitStatus> decode_status(std::string_view bytes);

// Blocking frame I/O on a stream socket. Reads report EOF before a frame
// starts as UNAVAILABLE, a frame cut short as INTERNAL. `pass_fd` >= 0 goes
// along with the frame; received descriptors are O_CLOEXEC.
Result<void> write_frame(int fd, std::string_view payload, int pass_fd = -1);
struct Frame {
  std::string payload;
  UniqueFd fd;  // the descriptor that came with the frame, if any
};
Result<Frame> read_frame_with_fd(int fd);
// Closes any descriptor that came along.
Result<std::string> read_frame(int fd);

}  // namespace kata::agent::container
