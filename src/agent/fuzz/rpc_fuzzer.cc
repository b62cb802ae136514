// libFuzzer target for the agent's container RPCs: the host (and whoever
// controls it) is untrusted from the guest's side (issue 10). The first byte
// picks CreateContainer, ExecProcess, UpdateContainer or SignalProcess; the
// rest is that request's protobuf, decoded as the ttRPC server does.
//
// Only the conversion layer (request -> engine spec, resources -> cgroup
// files, cgroup paths) is driven, not container::Engine: the engine is a
// concrete class that clones, mounts and writes cgroups on the running
// system, and FakeGuestOs stands in only for the agent's sandbox-level calls.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent.pb.h"
#include "agent/container/cgroup.h"
#include "agent/rpc/container_convert.h"
#include "common/id.h"

namespace {

using namespace kata;

template <typename Req>
bool parse(std::string_view payload, Req& req) {
  return req.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
}

void create(std::string_view payload) {
  grpc::CreateContainerRequest req;
  if (!parse(payload, req)) return;
  if (!validate_id(req.container_id())) return;  // the engine's first check
  Result<agent::container::ContainerSpec> spec = agent::to_container_spec(req);
  if (!spec) return;
  (void)agent::container::cgroup_relative_path(spec->cgroups_path, spec->id);
  (void)agent::container::cgroup_writes(spec->resources);
}

void exec(std::string_view payload) {
  grpc::ExecProcessRequest req;
  if (!parse(payload, req)) return;
  (void)agent::to_process_spec(req.process(), req.string_user());
}

void update(std::string_view payload) {
  grpc::UpdateContainerRequest req;
  if (!parse(payload, req)) return;
  (void)agent::container::cgroup_writes(agent::to_resources(req.resources()));
}

void signal(std::string_view payload) {
  grpc::SignalProcessRequest req;
  if (!parse(payload, req)) return;
  (void)validate_id(req.container_id());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);  // a line per string that is not UTF-8
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      create(payload);
      break;
    case 1:
      exec(payload);
      break;
    case 2:
      update(payload);
      break;
    default:
      signal(payload);
      break;
  }
  return 0;
}
