#include "agent/rpc/network_service.h"

#include <google/protobuf/empty.pb.h>

#include <memory>
#include <mutex>

#include "agent.pb.h"
#include "agent/network/convert.h"
#include "agent/network/interfaces.h"
#include "agent/network/neighbours.h"
#include "agent/network/routes.h"

namespace kata::agent {
namespace {

using google::protobuf::Empty;
using ttrpc::CallContext;

constexpr char kService[] = "grpc.AgentService";

struct State {
  // A constructor, not aggregate init: make_shared cannot aggregate-initialize
  // before C++20's P0960, which clang does not implement yet.
  State(network::GuestNetwork& n, std::chrono::milliseconds wait) : net(n), nic_wait(wait) {}
  network::GuestNetwork& net;
  std::chrono::milliseconds nic_wait;
  std::mutex mu;
};

// The one place where network errors become ttRPC statuses: they already
// carry gRPC codes; only codes that say nothing to the host are replaced.
template <typename T>
Result<T> rpc(Result<T> r) {
  if (r || (r.error().code() != Code::kUnknown && r.error().code() != Code::kOk)) return r;
  return Error(Code::kInternal, r.error().message(), r.error().sys_errno());
}

Result<types::Interface> update_interface(State& s, const grpc::UpdateInterfaceRequest& r) {
  KATA_ASSIGN_OR_RETURN(network::InterfaceSpec spec, network::to_interface_spec(r.interface()));
  std::lock_guard lock(s.mu);
  KATA_ASSIGN_OR_RETURN(network::Interface iface,
                        network::update_interface(s.net, spec, s.nic_wait));
  return network::to_proto(iface);
}

Result<grpc::Routes> update_routes(State& s, const grpc::UpdateRoutesRequest& r) {
  KATA_ASSIGN_OR_RETURN(std::vector<network::Route> routes, network::to_routes(r.routes()));
  std::lock_guard lock(s.mu);
  KATA_ASSIGN_OR_RETURN(std::vector<network::Route> now,
                        network::update_routes(s.net, std::move(routes)));
  return network::to_proto(now);
}

Result<grpc::Interfaces> list_interfaces(State& s) {
  std::lock_guard lock(s.mu);
  KATA_ASSIGN_OR_RETURN(std::vector<network::Interface> ifaces,
                        network::list_interfaces(s.net).context("list interfaces"));
  return network::to_proto(ifaces);
}

Result<grpc::Routes> list_routes(State& s) {
  std::lock_guard lock(s.mu);
  KATA_ASSIGN_OR_RETURN(std::vector<network::Route> routes,
                        s.net.list_routes().context("list routes"));
  return network::to_proto(routes);
}

Result<Empty> add_neighbours(State& s, const grpc::AddARPNeighborsRequest& r) {
  KATA_ASSIGN_OR_RETURN(std::vector<network::Neighbour> neighbours,
                        network::to_neighbours(r.neighbors()));
  std::lock_guard lock(s.mu);
  KATA_TRY(network::add_neighbours(s.net, std::move(neighbours)));
  return Empty();
}

}  // namespace

void register_network_service(ttrpc::Server& server, network::GuestNetwork& net,
                              std::chrono::milliseconds nic_wait) {
  auto state = std::make_shared<State>(net, nic_wait);
  server.register_typed<grpc::UpdateInterfaceRequest, types::Interface>(
      kService, "UpdateInterface",
      [state](const CallContext&, const auto& r) { return rpc(update_interface(*state, r)); });
  server.register_typed<grpc::UpdateRoutesRequest, grpc::Routes>(
      kService, "UpdateRoutes",
      [state](const CallContext&, const auto& r) { return rpc(update_routes(*state, r)); });
  server.register_typed<grpc::ListInterfacesRequest, grpc::Interfaces>(
      kService, "ListInterfaces",
      [state](const CallContext&, const auto&) { return rpc(list_interfaces(*state)); });
  server.register_typed<grpc::ListRoutesRequest, grpc::Routes>(
      kService, "ListRoutes",
      [state](const CallContext&, const auto&) { return rpc(list_routes(*state)); });
  server.register_typed<grpc::AddARPNeighborsRequest, Empty>(
      kService, "AddARPNeighbors",
      [state](const CallContext&, const auto& r) { return rpc(add_neighbours(*state, r)); });
}

}  // namespace kata::agent
