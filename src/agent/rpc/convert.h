#pragma once

#include "agent.pb.h"
#include "agent/sandbox.h"

namespace kata::agent {

// Protocol <-> domain mapping for the sandbox RPCs, kept out of the handlers.
StorageSpec to_storage_spec(const grpc::Storage& s);
SandboxSpec to_sandbox_spec(const grpc::CreateSandboxRequest& req);
grpc::GuestDetailsResponse to_guest_details_response(const GuestDetails& details);

}  // namespace kata::agent
