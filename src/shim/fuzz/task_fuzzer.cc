// libFuzzer target for the shim's task API: the requests containerd sends are
// untrusted bytes (issue 10). An input is a short session of calls, each
//   [method byte][payload length, u16 little endian][payload]
// whose payload is decoded as that method's request, as the ttRPC server's
// register_typed does, and handed to a real TaskService over a FakeSandbox
// with the real OCI parsers (Exec's process JSON, Update's resources JSON).
// A fresh service per input: its destructor joins every thread it started,
// and the run root is emptied after it, so nothing accumulates across inputs.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent_client/testing/fake_agent.h"
#include "common/id.h"
#include "common/log.h"
#include "runtime/testing/fake_sandbox.h"
#include "runtime/testing/test_bundle.h"
#include "shim/bundle.h"
#include "shim/stdio_uri.h"
#include "shim/task_service.h"

namespace {

using namespace kata;
using namespace kata::shim;
using agent_client::testing::FakeAgent;
using runtime::testing::FakeSandbox;
using runtime::testing::FakeSandboxState;

constexpr size_t kMaxCalls = 16;

void check(bool ok) {
  if (!ok) std::abort();
}

// Created once: a bundle every Create is pointed at, and a run root emptied per input.
struct Dirs {
  std::string root;
  std::string bundle;
  std::string run_root;
};

// Never destroyed: the atexit hook below still needs it.
const Dirs& dirs() {
  static const Dirs* d = [] {
    char tmpl[] = "/tmp/kata-shim-fuzz-XXXXXX";
    check(::mkdtemp(tmpl) != nullptr);
    auto* out = new Dirs;
    out->root = tmpl;
    out->bundle = runtime::testing::make_bundle(out->root, "bundle");
    out->run_root = out->root + "/run";
    log::set_level(log::Level::kError);        // each failed call would log a line
    google::protobuf::SetLogHandler(nullptr);  // as would each string that is not UTF-8
    std::atexit([] { std::filesystem::remove_all(dirs().root); });
    return out;
  }();
  return *d;
}

// Serializes every event, as the daemon's sink would, to cover the conversions.
class SerializingSink : public EventSink {
 public:
  void publish(const std::string& topic, const google::protobuf::Message& event) override {
    check(!topic.empty());
    (void)event.SerializeAsString();
  }
};

// Stdio names host paths (fifos, files) or a binary:// logger the shim would
// spawn: a fuzzer must neither open arbitrary host paths nor run programs, so
// the URI is only parsed and the paths are cleared before the call.
template <typename Req>
void clear_stdio(Req& req) {
  (void)parse_stdio_uri(req.stdout());
  req.clear_stdin();
  req.clear_stdout();
  req.clear_stderr();
}

struct Session {
  SerializingSink sink;
  std::shared_ptr<FakeAgent> agent = std::make_shared<FakeAgent>();
  std::shared_ptr<FakeSandboxState> state = std::make_shared<FakeSandboxState>();
  std::unique_ptr<TaskService> service;

  Session() {
    TaskServiceDeps deps;
    deps.start_sandbox =
        [this](
            const runtime::SandboxOptions& options) -> Result<std::unique_ptr<runtime::Sandbox>> {
      // As the real Sandbox: the id names the run directory.
      KATA_TRY(validate_id(options.id));
      return std::unique_ptr<runtime::Sandbox>(
          std::make_unique<FakeSandbox>(options.id, 4242, agent, state));
    };
    deps.parsers = oci_spec_parsers();
    deps.events = &sink;
    deps.shim_pid = 77;
    deps.containerd_namespace = "fuzz";
    deps.run_root = dirs().run_root;
    service = std::make_unique<TaskService>(std::move(deps));
  }

  // Wait blocks until the process exits: called only for one that has.
  void wait(const task::WaitRequest& req) {
    task::StateRequest state_req;
    state_req.set_id(req.id());
    state_req.set_exec_id(req.exec_id());
    Result<task::StateResponse> st = service->state(state_req);
    if (!st || st->status() != containerd::v1::types::STOPPED) return;
    (void)service->wait(req, [] { return true; });
  }
};

template <typename Req>
bool parse(std::string_view payload, Req& req) {
  return req.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
}

template <typename Req, typename Fn>
void call(std::string_view payload, Fn fn) {
  Req req;
  if (!parse(payload, req)) return;
  fn(req);
}

void dispatch(Session& s, uint8_t method, std::string_view payload) {
  TaskService& t = *s.service;
  switch (method % 17) {
    case 0:
      return call<task::CreateTaskRequest>(payload, [&](task::CreateTaskRequest& r) {
        clear_stdio(r);
        r.set_bundle(dirs().bundle);  // not a path from the input: it would be read
        (void)t.create(r);
      });
    case 1:
      return call<task::StartRequest>(payload, [&](auto& r) { (void)t.start(r); });
    case 2:
      return call<task::DeleteRequest>(payload, [&](auto& r) { (void)t.remove(r); });
    case 3:
      return call<task::ExecProcessRequest>(payload, [&](task::ExecProcessRequest& r) {
        clear_stdio(r);
        (void)t.exec(r);
      });
    case 4:
      return call<task::StateRequest>(payload, [&](auto& r) { (void)t.state(r); });
    case 5:
      return call<task::WaitRequest>(payload, [&](auto& r) { s.wait(r); });
    case 6:
      return call<task::KillRequest>(payload, [&](auto& r) { (void)t.kill(r); });
    case 7:
      return call<task::ResizePtyRequest>(payload, [&](auto& r) { (void)t.resize_pty(r); });
    case 8:
      return call<task::CloseIORequest>(payload, [&](auto& r) { (void)t.close_io(r); });
    case 9:
      return call<task::PidsRequest>(payload, [&](auto& r) { (void)t.pids(r); });
    case 10:
      return call<task::PauseRequest>(payload, [&](auto& r) { (void)t.pause(r); });
    case 11:
      return call<task::ResumeRequest>(payload, [&](auto& r) { (void)t.resume(r); });
    case 12:
      return call<task::UpdateTaskRequest>(payload, [&](auto& r) { (void)t.update(r); });
    case 13:
      return call<task::StatsRequest>(payload, [&](auto& r) { (void)t.stats(r); });
    case 14:
      return call<task::ConnectRequest>(payload, [&](auto& r) { (void)t.connect(r); });
    case 15:
      return call<task::ShutdownRequest>(payload, [&](auto& r) { (void)t.shutdown(r); });
    default:
      // The guest ends the init process, as a workload that exits by itself.
      s.agent->exit(std::string(payload), "", 0);
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Dirs& d = dirs();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  {
    Session session;
    for (size_t n = 0; n < kMaxCalls && rest.size() >= 3; ++n) {
      uint8_t method = static_cast<uint8_t>(rest[0]);
      size_t len = static_cast<uint8_t>(rest[1]) | (static_cast<uint8_t>(rest[2]) << 8);
      rest.remove_prefix(3);
      std::string_view payload = rest.substr(0, len);
      rest.remove_prefix(payload.size());
      dispatch(session, method, payload);
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(d.run_root, ignored);
  return 0;
}
