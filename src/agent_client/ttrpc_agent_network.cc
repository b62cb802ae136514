// The network RPCs of TtrpcAgent: thin mappings from the Agent interface onto
// grpc.AgentService requests (UpdateInterface, UpdateRoutes, ListInterfaces,
// ListRoutes, AddARPNeighbors).
#include "agent.pb.h"
#include "agent_client/ttrpc_agent.h"

namespace kata::agent_client {
namespace {

constexpr char kAgentService[] = "grpc.AgentService";

}  // namespace

Result<types::Interface> TtrpcAgent::update_interface(const types::Interface& iface) {
  grpc::UpdateInterfaceRequest req;
  *req.mutable_interface() = iface;
  return client_.call<grpc::UpdateInterfaceRequest, types::Interface>(
      kAgentService, "UpdateInterface", req, call_timeout_);
}

Result<grpc::Routes> TtrpcAgent::update_routes(const grpc::Routes& routes) {
  grpc::UpdateRoutesRequest req;
  *req.mutable_routes() = routes;
  return client_.call<grpc::UpdateRoutesRequest, grpc::Routes>(kAgentService, "UpdateRoutes", req,
                                                               call_timeout_);
}

Result<grpc::Interfaces> TtrpcAgent::list_interfaces() {
  grpc::ListInterfacesRequest req;
  return client_.call<grpc::ListInterfacesRequest, grpc::Interfaces>(
      kAgentService, "ListInterfaces", req, call_timeout_);
}

Result<grpc::Routes> TtrpcAgent::list_routes() {
  grpc::ListRoutesRequest req;
  return client_.call<grpc::ListRoutesRequest, grpc::Routes>(kAgentService, "ListRoutes", req,
                                                             call_timeout_);
}

Result<void> TtrpcAgent::add_arp_neighbors(const grpc::ARPNeighbors& neighbors) {
  grpc::AddARPNeighborsRequest req;
  *req.mutable_neighbors() = neighbors;
  return call_empty("AddARPNeighbors", req, call_timeout_);
}

}  // namespace kata::agent_client
