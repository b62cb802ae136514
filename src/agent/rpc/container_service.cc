#include "agent/rpc/container_service.h"

#include <google/protobuf/empty.pb.h>

#include "agent.pb.h"
#include "agent/rpc/container_convert.h"
#include "agent/rpc/convert.h"
#include "common/log.h"

namespace kata::agent {
namespace {

using container::Engine;
using google::protobuf::Empty;
using ttrpc::CallContext;

constexpr char kService[] = "grpc.AgentService";

// The one place where engine errors become ttRPC statuses: the engine already
// speaks gRPC codes; only codes that say nothing to the host are replaced.
Error to_rpc_error(Error e) {
  if (e.code() == Code::kOk || e.code() == Code::kUnknown) {
    return Error(Code::kInternal, e.message(), e.sys_errno());
  }
  return e;
}

Result<Empty> empty_or(Result<void> r) {
  if (!r) return to_rpc_error(std::move(r).error());
  return Empty();
}

template <typename T>
Result<T> rpc(Result<T> r) {
  if (!r) return to_rpc_error(std::move(r).error());
  return r;
}

const ttrpc::CancelToken* cancel_of(const CallContext& ctx) { return ctx.cancel.get(); }

template <typename Req>
using Fn = std::function<Result<Empty>(const CallContext&, const Req&)>;

template <typename Req>
void add(ttrpc::Server& server, const char* method, Fn<Req> fn) {
  server.register_typed<Req, Empty>(kService, method, std::move(fn));
}

// The storages first: the spec's mounts name their mount points.
Result<void> create(Engine& engine, const ContainerStorages& storages,
                    const grpc::CreateContainerRequest& r, const ttrpc::CancelToken* cancel) {
  const std::string what = "create container " + r.container_id();
  KATA_ASSIGN_OR_RETURN(container::ContainerSpec spec, to_container_spec(r).context(what));
  if (r.storages_size() > 0) {
    if (!storages) return Error(Code::kUnimplemented, what + ": storages are not implemented");
    std::vector<StorageSpec> specs;
    for (const grpc::Storage& s : r.storages()) specs.push_back(to_storage_spec(s));
    KATA_TRY(storages(specs).context(what));
  }
  return engine.create(std::move(spec), cancel);
}

void register_lifecycle(ttrpc::Server& server, Engine& engine, ContainerStorages storages) {
  add<grpc::CreateContainerRequest>(
      server, "CreateContainer",
      [&engine, storages = std::move(storages)](const CallContext& ctx, const auto& r) {
        return empty_or(create(engine, storages, r, cancel_of(ctx)));
      });
  add<grpc::StartContainerRequest>(
      server, "StartContainer", [&engine](const CallContext& ctx, const auto& r) {
        return empty_or(engine.start(r.container_id(), cancel_of(ctx)));
      });
  add<grpc::RemoveContainerRequest>(
      server, "RemoveContainer", [&engine](const CallContext&, const auto& r) {
        return empty_or(engine.remove(r.container_id(), std::chrono::seconds(r.timeout())));
      });
  add<grpc::ExecProcessRequest>(
      server, "ExecProcess", [&engine](const CallContext& ctx, const auto& r) {
        if (r.stdin_port() || r.stdout_port() || r.stderr_port()) {
          return empty_or(
              Error(Code::kUnimplemented, "passfd I/O is not implemented by this agent"));
        }
        return empty_or(engine.exec(r.container_id(), r.exec_id(),
                                    to_process_spec(r.process(), r.string_user()), cancel_of(ctx)));
      });
  add<grpc::SignalProcessRequest>(
      server, "SignalProcess", [&engine](const CallContext&, const auto& r) {
        return empty_or(engine.signal(r.container_id(), r.exec_id(), static_cast<int>(r.signal())));
      });
  server.register_typed<grpc::WaitProcessRequest, grpc::WaitProcessResponse>(
      kService, "WaitProcess",
      [&engine](const CallContext& ctx,
                const grpc::WaitProcessRequest& r) -> Result<grpc::WaitProcessResponse> {
        KATA_ASSIGN_OR_RETURN(int status,
                              rpc(engine.wait(r.container_id(), r.exec_id(), cancel_of(ctx))));
        grpc::WaitProcessResponse resp;
        resp.set_status(status);
        return resp;
      });
}

void register_stdio(ttrpc::Server& server, Engine& engine) {
  server.register_typed<grpc::ReadStreamRequest, grpc::ReadStreamResponse>(
      kService, "ReadStdout",
      [&engine](const CallContext& ctx,
                const grpc::ReadStreamRequest& r) -> Result<grpc::ReadStreamResponse> {
        KATA_ASSIGN_OR_RETURN(
            std::string data,
            rpc(engine.read_stdout(r.container_id(), r.exec_id(), r.len(), cancel_of(ctx))));
        grpc::ReadStreamResponse resp;
        resp.set_data(std::move(data));
        return resp;
      });
  server.register_typed<grpc::ReadStreamRequest, grpc::ReadStreamResponse>(
      kService, "ReadStderr",
      [&engine](const CallContext& ctx,
                const grpc::ReadStreamRequest& r) -> Result<grpc::ReadStreamResponse> {
        KATA_ASSIGN_OR_RETURN(
            std::string data,
            rpc(engine.read_stderr(r.container_id(), r.exec_id(), r.len(), cancel_of(ctx))));
        grpc::ReadStreamResponse resp;
        resp.set_data(std::move(data));
        return resp;
      });
  server.register_typed<grpc::WriteStreamRequest, grpc::WriteStreamResponse>(
      kService, "WriteStdin",
      [&engine](const CallContext& ctx,
                const grpc::WriteStreamRequest& r) -> Result<grpc::WriteStreamResponse> {
        KATA_ASSIGN_OR_RETURN(uint32_t n, rpc(engine.write_stdin(r.container_id(), r.exec_id(),
                                                                 r.data(), cancel_of(ctx))));
        grpc::WriteStreamResponse resp;
        resp.set_len(n);
        return resp;
      });
  add<grpc::CloseStdinRequest>(server, "CloseStdin", [&engine](const CallContext&, const auto& r) {
    return empty_or(engine.close_stdin(r.container_id(), r.exec_id()));
  });
  add<grpc::TtyWinResizeRequest>(
      server, "TtyWinResize", [&engine](const CallContext&, const auto& r) {
        return empty_or(engine.resize(r.container_id(), r.exec_id(), r.row(), r.column()));
      });
}

std::vector<network::LinkStats> links_or_none(const LinkStatsReader& read_links) {
  Result<std::vector<network::LinkStats>> links = read_links();
  if (!links) {
    log::warn("stats without interface counters: {}", links.error().message());
    return {};
  }
  return std::move(*links);
}

void register_resources(ttrpc::Server& server, Engine& engine, LinkStatsReader read_links) {
  server.register_typed<grpc::StatsContainerRequest, grpc::StatsContainerResponse>(
      kService, "StatsContainer",
      [&engine, read_links = std::move(read_links)](
          const CallContext&,
          const grpc::StatsContainerRequest& r) -> Result<grpc::StatsContainerResponse> {
        KATA_ASSIGN_OR_RETURN(container::CgroupStats stats, rpc(engine.stats(r.container_id())));
        return to_stats_response(stats, links_or_none(read_links));
      });
  add<grpc::PauseContainerRequest>(server, "PauseContainer",
                                   [&engine](const CallContext&, const auto& r) {
                                     return empty_or(engine.pause(r.container_id()));
                                   });
  add<grpc::ResumeContainerRequest>(server, "ResumeContainer",
                                    [&engine](const CallContext&, const auto& r) {
                                      return empty_or(engine.resume(r.container_id()));
                                    });
  add<grpc::UpdateContainerRequest>(
      server, "UpdateContainer", [&engine](const CallContext&, const auto& r) {
        return empty_or(engine.update(r.container_id(), to_resources(r.resources())));
      });
  server.register_typed<grpc::GetOOMEventRequest, grpc::OOMEvent>(
      kService, "GetOOMEvent",
      [&engine](const CallContext& ctx, const grpc::GetOOMEventRequest&) -> Result<grpc::OOMEvent> {
        KATA_ASSIGN_OR_RETURN(std::string id, rpc(engine.next_oom(cancel_of(ctx))));
        grpc::OOMEvent event;
        event.set_container_id(id);
        return event;
      });
}

}  // namespace

void register_container_service(ttrpc::Server& server, Engine& engine, ContainerStorages storages,
                                LinkStatsReader read_links) {
  register_lifecycle(server, engine, std::move(storages));
  register_stdio(server, engine);
  register_resources(server, engine, std::move(read_links));
}

}  // namespace kata::agent
