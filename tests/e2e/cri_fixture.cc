#include "e2e/cri_fixture.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/leak_check.h"
#include "sys/proc_scan.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ContainerdEnv> g_env;
std::unique_ptr<cri::CriClient> g_cri;
std::string g_env_error;

class CriEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    EnvOptions options = default_options(KATA_BUILD_DIR, KATA_SOURCE_DIR);
    options.cri = true;
    auto env = ContainerdEnv::start(options);
    if (!env) {
      g_env_error = env.error().message();
      return;
    }
    g_env = std::move(*env);
    auto client = cri::CriClient::connect(g_env->address(), 30s);
    if (!client) {
      g_env_error = client.error().message();
      return;
    }
    g_cri = std::move(*client);
  }
  void TearDown() override {
    g_cri.reset();
    g_env.reset();
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new CriEnvironment);

// The network namespace CRI made for the pod (a bind mount under /var/run/netns), from
// the runtime spec in the pod's verbose status; "" for a host-network pod.
std::string pod_netns(const std::string& pod_id) {
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod_id);
  req.set_verbose(true);
  Result<v1::PodSandboxStatusResponse> status =
      g_cri->call(&cri::CriClient::Runtime::PodSandboxStatus, "PodSandboxStatus", req);
  if (!status || !status->info().count("info")) return "";
  nlohmann::json info = nlohmann::json::parse(status->info().at("info"), nullptr, false);
  if (info.is_discarded()) return "";
  for (const nlohmann::json& ns : info["runtimeSpec"]["linux"]["namespaces"])
    if (ns.value("type", "") == "network") return ns.value("path", "");
  return "";
}

}  // namespace

ContainerdEnv* cri_env() { return g_env.get(); }
cri::CriClient* cri_client() { return g_cri.get(); }

std::vector<pid_t> qemu_pids(const std::string& pod_id) {
  std::vector<pid_t> pids;
  for (const sys::ProcessMention& p : sys::processes_mentioning(pod_id))
    if (p.cmdline.find("qemu-system") != std::string::npos && mentions_id(p.cmdline, pod_id))
      pids.push_back(p.pid);
  return pids;
}

void CriPodFixture::SetUp() {
  ASSERT_TRUE(g_env && g_cri) << g_env_error;
  handler_ = GetParam();
  sockets_before_ = shim_socket_snapshot();
  log_dir_ = g_env->dir() + "/logs/" + g_env->unique_id("pod");
}

std::string CriPodFixture::run_pod(const std::string& prefix, v1::PodSandboxConfig* config_out,
                                   const std::function<void(v1::PodSandboxConfig&)>& adjust) {
  v1::PodSandboxConfig config =
      cri::pod_config(g_env->unique_id(prefix + "-" + handler_), log_dir_);
  if (adjust) adjust(config);
  Result<std::string> id = g_cri->run_pod(config, handler_);
  EXPECT_TRUE(id) << id.error().message() << "\n" << g_env->log_tail();
  if (!id) return "";
  pods_.push_back(*id);
  if (config_out) *config_out = config;
  std::string netns = pod_netns(*id);
  if (!netns.empty()) netns_.push_back(netns);
  return *id;
}

std::string CriPodFixture::start_container(
    const std::string& pod_id, const v1::PodSandboxConfig& pod, const std::string& name,
    const std::vector<std::string>& command, uint32_t attempt,
    const std::function<void(v1::ContainerConfig&)>& adjust) {
  v1::ContainerConfig config = cri::container_config(pod, name, g_env->image(), command, attempt);
  if (adjust) adjust(config);
  Result<std::string> id = g_cri->create_container(pod_id, config, pod);
  EXPECT_TRUE(id) << id.error().message() << "\n" << g_env->log_tail();
  if (!id) return "";
  containers_.push_back(*id);
  Result<void> started = g_cri->start_container(*id);
  EXPECT_TRUE(started) << started.error().message() << "\n" << g_env->log_tail();
  return *id;
}

std::string CriPodFixture::exec(const std::string& id, const std::vector<std::string>& cmd) {
  Result<v1::ExecSyncResponse> r = g_cri->exec_sync(id, cmd, 60);
  EXPECT_TRUE(r) << r.error().message() << "\ncontainerd's log ends with:\n" << g_env->log_tail();
  if (!r) return "";
  EXPECT_EQ(r->exit_code(), 0) << fmt::format("{}", fmt::join(cmd, " ")) << ": " << r->stderr();
  return std::string(trim(r->stdout()));
}

std::string CriPodFixture::wait_for_log(const std::string& path, const std::string& text) {
  Result<std::string> log = Error(Code::kNotFound, "");
  for (auto end = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(100ms)) {
    log = fs::read_file(log_dir_ + "/" + path);
    if (log && log->find(text) != std::string::npos) break;
  }
  return log ? *log : "(no log: " + log.error().message() + ")";
}

void CriPodFixture::removed_by_test(const std::string& pod_id) {
  std::erase(pods_, pod_id);
  removed_pods_.push_back(pod_id);
}

void CriPodFixture::TearDown() {
  if (!g_cri) return;
  for (const std::string& pod : pods_) {
    // The kubelet's pattern: stop (again and again), then remove (again). The kubelet
    // retries a failed stop; so does this, once, saying so: the first stop of a Kata++ pod
    // failed once in well over a hundred pods, the sandbox's SIGKILL failing with an agent
    // connection error, and did not come back in the runs since (issue 12's note).
    for (int round = 0; round < 2; ++round) {
      Result<void> stopped = g_cri->stop_pod(pod);
      if (!stopped && round == 0) {
        std::printf("[ warning ] pod %s: first StopPodSandbox failed, retried: %s\n", pod.c_str(),
                    stopped.error().message().c_str());
        stopped = g_cri->stop_pod(pod);
      }
      EXPECT_TRUE(stopped) << "round " << round << ": " << stopped.error().message();
    }
    for (int round = 0; round < 2; ++round) {
      Result<void> removed = g_cri->remove_pod(pod);
      EXPECT_TRUE(removed) << "round " << round << ": " << removed.error().message();
    }
    EXPECT_FALSE(g_cri->pod_status(pod)) << "pod " << pod << " still listed after removal";
  }
  std::vector<std::string> ids = pods_;
  ids.insert(ids.end(), removed_pods_.begin(), removed_pods_.end());
  ids.insert(ids.end(), containers_.begin(), containers_.end());
  for (const std::string& id : ids) {
    LeakReport report = wait_for_no_leaks(id, g_env->address(), g_env->ns(), sockets_before_);
    EXPECT_TRUE(report.clean()) << id << ":" << report.describe();
  }
  for (const std::string& netns : netns_)
    EXPECT_FALSE(fs::exists(netns))
        << "the network namespace CRI made for a pod remains: " << netns;
}

}  // namespace kata::e2e
