#include "agent/rpc/health_service.h"

#include "health.pb.h"

namespace kata::agent {

void register_health_service(ttrpc::Server& server) {
  server.register_typed<grpc::CheckRequest, grpc::HealthCheckResponse>(
      "grpc.Health", "Check", [](const ttrpc::CallContext&, const grpc::CheckRequest&) {
        grpc::HealthCheckResponse resp;
        resp.set_status(grpc::HealthCheckResponse::SERVING);
        return Result<grpc::HealthCheckResponse>(std::move(resp));
      });
  server.register_typed<grpc::CheckRequest, grpc::VersionCheckResponse>(
      "grpc.Health", "Version", [](const ttrpc::CallContext&, const grpc::CheckRequest&) {
        grpc::VersionCheckResponse resp;
        resp.set_grpc_version("ttrpc");
        resp.set_agent_version(KATA_VERSION);
        return Result<grpc::VersionCheckResponse>(std::move(resp));
      });
}

}  // namespace kata::agent
