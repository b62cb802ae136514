#include "cli/service_client.h"

#include "sys/unix_socket.h"

namespace kata::cli {

Result<ServiceClient> ServiceClient::connect(const std::string& socket) {
  Result<UniqueFd> fd = sys::connect_unix(socket);
  if (!fd) {
    return Error(Code::kUnavailable,
                 "connect to the sandbox service at `" + socket + "`: " + fd.error().message());
  }
  return ServiceClient(std::make_unique<ttrpc::Client>(std::move(*fd)));
}

}  // namespace kata::cli
