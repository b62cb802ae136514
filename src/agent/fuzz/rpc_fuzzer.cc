// libFuzzer target for the agent's container RPCs: the host (and whoever
// controls it) is untrusted from the guest's side (issue 10). An input is a
// short session of calls, each
//   [method byte][payload length, u16 little endian][payload]
// whose payload goes, as a ttRPC connection would hand it over, to the
// handlers the agent registers, and through them into a real container
// Engine. Only the system below the engine is fake (FakeContainerOs: an
// in-memory cgroupfs, and inits that speak the init protocol over real
// `sleep` workloads), so that a session cannot touch this machine.
// A fresh engine per input; its destructor removes every container, and the
// fake's then joins every thread and kills every workload left.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "agent/container/engine.h"
#include "agent/init/reaper.h"
#include "agent/rpc/container_service.h"
#include "agent/testing/fake_container_os.h"
#include "common/log.h"
#include "ttrpc/server.h"

namespace {

using namespace kata;

constexpr size_t kMaxCalls = 16;
constexpr char kRoot[] = "/fuzz/cgroup";

// Blocking calls (waits, reads, the OOM poll) get a token cancelled from the
// start: they answer with what is there now instead of waiting for a
// workload that never exits by itself. Create, start and exec get none: the
// fake init answers them at once, and a cancel would undo them.
constexpr const char* kMethods[] = {
    "CreateContainer", "StartContainer",  "ExecProcess",     "SignalProcess",
    "WaitProcess",     "ReadStdout",      "ReadStderr",      "WriteStdin",
    "CloseStdin",      "TtyWinResize",    "RemoveContainer", "StatsContainer",
    "PauseContainer",  "ResumeContainer", "UpdateContainer", "GetOOMEvent",
};
bool waits_for_the_workload(std::string_view method) {
  return method != "CreateContainer" && method != "StartContainer" && method != "ExecProcess";
}

agent::Reaper* reaper = nullptr;

}  // namespace

// Before libFuzzer starts its threads: the reaper blocks SIGCHLD in this thread,
// and only threads started after inherit the mask (a thread with SIGCHLD open
// would swallow the signal, and the reaper would never see an exit).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::set_level(log::Level::kError);        // each failed call would log a line
  google::protobuf::SetLogHandler(nullptr);  // as would each string that is not UTF-8
  auto started = agent::Reaper::start();
  if (!started) std::abort();
  reaper = started->release();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto os = std::make_unique<agent::testing::FakeContainerOs>(kRoot);
  auto engine = std::make_unique<agent::container::Engine>(*reaper, kRoot, *os);
  ttrpc::Server server;
  agent::register_container_service(server, *engine);
  auto cancelled = std::make_shared<ttrpc::CancelToken>();
  cancelled->cancel();

  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (size_t calls = 0; calls < kMaxCalls && in.size() >= 3; ++calls) {
    const char* method = kMethods[static_cast<uint8_t>(in[0]) % std::size(kMethods)];
    size_t len =
        static_cast<uint8_t>(in[1]) | (static_cast<size_t>(static_cast<uint8_t>(in[2])) << 8);
    in.remove_prefix(3);
    std::string_view payload = in.substr(0, len);
    in.remove_prefix(payload.size());
    ttrpc::CallContext ctx;
    ctx.service = "grpc.AgentService";
    ctx.method = method;
    if (waits_for_the_workload(method)) ctx.cancel = cancelled;
    (void)server.call(ctx, payload);
  }
  engine.reset();  // removes what the session created, before the fake goes
  return 0;
}
