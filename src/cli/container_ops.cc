#include "cli/container_ops.h"

#include <csignal>
#include <cstring>
#include <iostream>
#include <sstream>

#include "common/fs.h"

namespace kata::cli {

ContainerStatus query_status(const ContainerRecord& record) {
  ContainerStatus out{kStopped, false};
  Result<ServiceClient> client = ServiceClient::connect(record.socket);
  if (!client) return out;
  out.service_alive = true;
  task::StateRequest req;
  req.set_id(record.id);
  Result<task::StateResponse> state =
      client->call<task::StateResponse>("State", req, std::chrono::seconds(30));
  if (!state) return out;
  switch (state->status()) {
    case containerd::v1::types::CREATED:
      out.status = kCreated;
      break;
    case containerd::v1::types::RUNNING:
      out.status = kRunning;
      break;
    case containerd::v1::types::PAUSED:
    case containerd::v1::types::PAUSING:
      out.status = kPaused;
      break;
    default:
      out.status = kStopped;
  }
  return out;
}

uint32_t visible_pid(const ContainerRecord& record, const ContainerStatus& status) {
  return status.status == kStopped ? 0 : static_cast<uint32_t>(record.relay.pid);
}

Result<ContainerRecord> find_container(const GlobalOptions& g, const std::string& id) {
  return read_record(g.root, id);
}

Result<ServiceClient> connect_service(const ContainerRecord& record) {
  return ServiceClient::connect(record.socket);
}

Result<void> send_signal(const ContainerRecord& record, int signal, bool all) {
  KATA_ASSIGN_OR_RETURN(ServiceClient client, connect_service(record));
  task::KillRequest req;
  req.set_id(record.id);
  req.set_signal(static_cast<uint32_t>(signal));
  req.set_all(all);
  KATA_TRY(client.call<google::protobuf::Empty>("Kill", req, std::chrono::seconds(60)));
  return {};
}

Result<void> check_stdio_options(bool terminal, const std::string& console_socket, bool detach,
                                 int preserve_fds) {
  if (preserve_fds > 0) {
    return Error(Code::kUnimplemented,
                 "--preserve-fds: not implemented: host descriptors cannot be passed into a VM");
  }
  if (terminal && console_socket.empty()) {
    if (detach) {
      return Error(Code::kInvalidArgument,
                   "cannot allocate tty if runc will detach without setting console socket");
    }
    return Error(Code::kUnimplemented,
                 "a terminal without --console-socket: not implemented (give a console socket)");
  }
  if (!terminal && !console_socket.empty()) {
    return Error(Code::kInvalidArgument,
                 "cannot use console socket if runc will not detach or allocate tty");
  }
  return {};
}

Result<std::string> read_file_or_stdin(const std::string& path) {
  if (path != "-") return fs::read_file(path);
  std::stringstream in;
  in << std::cin.rdbuf();
  return in.str();
}

Result<int> parse_signal(const std::string& text) {
  const Error unknown(Code::kInvalidArgument, "unknown signal \"" + text + "\"");
  if (text.empty()) return unknown;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 3) return unknown;
    int n = std::stoi(text);
    if (n <= 0 || n >= NSIG) return unknown;
    return n;
  }
  std::string name = text;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (int n = 1; n < SIGRTMIN; ++n) {
    const char* abbrev = ::sigabbrev_np(n);
    if (abbrev != nullptr && name == abbrev) return n;
  }
  if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) {
    int base = name[2] == 'M' && name[3] == 'I' ? SIGRTMIN : SIGRTMAX;
    std::string rest = name.substr(5);
    if (rest.empty()) return base;
    if (rest.size() < 2 || (rest[0] != '+' && rest[0] != '-') ||
        rest.find_first_not_of("0123456789", 1) != std::string::npos) {
      return unknown;
    }
    int n = base + std::stoi(rest);
    if (n < SIGRTMIN || n > SIGRTMAX) return unknown;
    return n;
  }
  return unknown;
}

}  // namespace kata::cli
