// The network RPCs through a real ttRPC server (rpc/network_service.h) over
// FakeGuestNetwork: registration, conversion and error codes on the wire.
#include "agent/rpc/network_service.h"

#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include <thread>

#include "agent.pb.h"
#include "agent/testing/fake_guest_network.h"
#include "ttrpc/client.h"
#include "ttrpc/server.h"
#include "ttrpc/testing/test_util.h"

namespace kata::agent {
namespace {

using google::protobuf::Empty;
constexpr auto kTimeout = std::chrono::seconds(10);
constexpr char kService[] = "grpc.AgentService";

class NetworkService : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.add_link("lo", "00:00:00:00:00:00");
    fake_.add_link("eth0", "02:42:ac:11:00:02");
    auto [served, client] = ttrpc::testing::socket_pair();
    register_network_service(server_, fake_, std::chrono::milliseconds(0));
    serving_ = std::thread([this, fd = std::move(served)]() mutable {
      (void)server_.serve_connection(std::move(fd));
    });
    client_ = std::make_unique<ttrpc::Client>(std::move(client));
  }
  void TearDown() override {
    client_->close();
    serving_.join();
  }
  template <typename Resp, typename Req>
  Result<Resp> call(std::string_view method, const Req& req) {
    return client_->call<Req, Resp>(kService, method, req, kTimeout);
  }

  testing::FakeGuestNetwork fake_;
  ttrpc::Server server_;
  std::thread serving_;
  std::unique_ptr<ttrpc::Client> client_;
};

grpc::UpdateInterfaceRequest eth0_request() {
  grpc::UpdateInterfaceRequest req;
  types::Interface* i = req.mutable_interface();
  i->set_name("eth0");
  i->set_hwaddr("02:42:AC:11:00:02");
  i->set_mtu(1450);
  types::IPAddress* a = i->add_ipaddresses();
  a->set_address("172.17.0.2");
  a->set_mask("16");
  return req;
}

TEST_F(NetworkService, SetUpInterfaceThenRoutesThenListBoth) {
  auto iface = call<types::Interface>("UpdateInterface", eth0_request());
  ASSERT_TRUE(iface.ok()) << iface.error().message();
  EXPECT_EQ(iface->mtu(), 1450u);
  EXPECT_TRUE(iface->raw_flags() & IFF_UP);
  ASSERT_EQ(iface->ipaddresses_size(), 1);
  EXPECT_EQ(iface->ipaddresses(0).address(), "172.17.0.2");

  grpc::UpdateRoutesRequest routes;
  types::Route* def = routes.mutable_routes()->add_routes();
  def->set_gateway("172.17.0.1");
  def->set_device("eth0");
  auto now = call<grpc::Routes>("UpdateRoutes", routes);
  ASSERT_TRUE(now.ok()) << now.error().message();
  ASSERT_EQ(now->routes_size(), 2);  // the address's prefix route and the default
  EXPECT_EQ(now->routes(0).dest(), "172.17.0.0/16");
  EXPECT_EQ(now->routes(1).dest(), "");
  EXPECT_EQ(now->routes(1).gateway(), "172.17.0.1");

  auto listed = call<grpc::Routes>("ListRoutes", grpc::ListRoutesRequest());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->routes_size(), 2);
  auto ifaces = call<grpc::Interfaces>("ListInterfaces", grpc::ListInterfacesRequest());
  ASSERT_TRUE(ifaces.ok());
  ASSERT_EQ(ifaces->interfaces_size(), 2);
  EXPECT_EQ(ifaces->interfaces(0).name(), "lo");
  EXPECT_TRUE(ifaces->interfaces(0).raw_flags() & IFF_UP);
}

TEST_F(NetworkService, ErrorsKeepTheirCodesOnTheWire) {
  grpc::UpdateInterfaceRequest bad = eth0_request();
  bad.mutable_interface()->mutable_ipaddresses(0)->set_mask("40");
  auto invalid = call<types::Interface>("UpdateInterface", bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), Code::kInvalidArgument);

  grpc::UpdateInterfaceRequest other = eth0_request();
  other.mutable_interface()->set_hwaddr("02:00:00:00:00:99");
  auto missing = call<types::Interface>("UpdateInterface", other);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_NE(missing.error().message().find("no link with MAC 02:00:00:00:00:99"),
            std::string::npos);

  grpc::UpdateRoutesRequest routes;
  types::Route* r = routes.mutable_routes()->add_routes();
  r->set_dest("10.0.0.0/24");
  r->set_gateway("10.0.0.1");
  r->set_device("eth0");
  fake_.link("eth0")->flags |= IFF_UP;
  auto unreachable = call<grpc::Routes>("UpdateRoutes", routes);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(unreachable.error().message().find(
                "update route 10.0.0.0/24 via 10.0.0.1 dev eth0: Network is unreachable"),
            std::string::npos);
}

TEST_F(NetworkService, AddArpNeighbors) {
  grpc::AddARPNeighborsRequest req;
  types::ARPNeighbor* n = req.mutable_neighbors()->add_arpneighbors();
  n->mutable_toipaddress()->set_address("172.17.0.1");
  n->set_lladdr("02:42:ac:11:00:01");
  n->set_device("eth0");
  ASSERT_TRUE(call<Empty>("AddARPNeighbors", req).ok());
  ASSERT_EQ(fake_.neighbours.size(), 1u);
  n->set_device("eth5");
  auto missing = call<Empty>("AddARPNeighbors", req);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST_F(NetworkService, OtherMethodsStayUnimplemented) {
  auto r = call<Empty>("GetIPTables", grpc::GetIPTablesRequest());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kUnimplemented);
}

}  // namespace
}  // namespace kata::agent
