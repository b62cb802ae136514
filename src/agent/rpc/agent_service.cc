#include "agent/rpc/agent_service.h"

#include <google/protobuf/empty.pb.h>

#include "agent.pb.h"
#include "agent/rpc/convert.h"

namespace kata::agent {
namespace {

using google::protobuf::Empty;
using ttrpc::CallContext;

constexpr char kService[] = "grpc.AgentService";

Result<Empty> empty_or(Result<void> r) {
  if (!r) return std::move(r).error();
  return Empty();
}

}  // namespace

void register_agent_service(ttrpc::Server& server, Sandbox& sandbox) {
  server.register_typed<grpc::CreateSandboxRequest, Empty>(
      kService, "CreateSandbox",
      [&sandbox](const CallContext&, const grpc::CreateSandboxRequest& r) {
        return empty_or(sandbox.create(to_sandbox_spec(r)));
      });
  server.register_typed<grpc::DestroySandboxRequest, Empty>(
      kService, "DestroySandbox",
      [&sandbox](const CallContext&, const grpc::DestroySandboxRequest&) {
        return empty_or(sandbox.destroy());
      });
  server.register_typed<grpc::SetGuestDateTimeRequest, Empty>(
      kService, "SetGuestDateTime",
      [&sandbox](const CallContext&, const grpc::SetGuestDateTimeRequest& r) {
        return empty_or(sandbox.set_time(r.sec(), r.usec()));
      });
  server.register_typed<grpc::GuestDetailsRequest, grpc::GuestDetailsResponse>(
      kService, "GetGuestDetails",
      [&sandbox](const CallContext&,
                 const grpc::GuestDetailsRequest& r) -> Result<grpc::GuestDetailsResponse> {
        KATA_ASSIGN_OR_RETURN(GuestDetails d,
                              sandbox.guest_details(r.mem_block_size(), r.mem_hotplug_probe()));
        return to_guest_details_response(d);
      });
}

}  // namespace kata::agent
