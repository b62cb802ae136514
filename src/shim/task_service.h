#pragma once

#include <google/protobuf/empty.pb.h>
#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "containerd/shim.pb.h"
#include "runtime/sandbox.h"
#include "shim/bundle.h"
#include "shim/events.h"
#include "shim/process.h"

namespace kata::shim {

namespace task = containerd::task::v2;
using Empty = google::protobuf::Empty;

// Boots the sandbox (runtime::start_sandbox with the loaded configuration in
// the daemon; a FakeSandbox in tests).
using SandboxFactory =
    std::function<Result<std::unique_ptr<runtime::Sandbox>>(const runtime::SandboxOptions&)>;

struct TaskServiceDeps {
  SandboxFactory start_sandbox;
  SpecParsers parsers;
  EventSink* events = nullptr;  // not owned; outlives the service
  pid_t shim_pid = 0;
  // containerd's namespace (-namespace): a binary:// logger's CONTAINER_NAMESPACE.
  std::string containerd_namespace;
  // Called once Shutdown was accepted (no container left): the daemon stops serving.
  std::function<void()> on_shutdown;
};

// Kata's semantics of containerd's task API (shim v2) over one sandbox: the
// first Create boots the VM, the last Delete shuts it down; the task pid is the
// VMM's. Thread safe: ttRPC runs each call on its own thread.
class TaskService {
 public:
  explicit TaskService(TaskServiceDeps deps);
  ~TaskService();  // joins every thread; shuts the sandbox down if one is left
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  Result<task::CreateTaskResponse> create(const task::CreateTaskRequest& req);
  Result<task::StartResponse> start(const task::StartRequest& req);
  Result<task::DeleteResponse> remove(const task::DeleteRequest& req);
  Result<Empty> exec(const task::ExecProcessRequest& req);
  Result<task::StateResponse> state(const task::StateRequest& req);
  // Blocks until the process exited. `cancelled` is asked now and then, so
  // that a caller who went away (containerd restarted) frees the thread.
  Result<task::WaitResponse> wait(const task::WaitRequest& req,
                                  const std::function<bool()>& cancelled = {});
  Result<Empty> kill(const task::KillRequest& req);
  Result<Empty> resize_pty(const task::ResizePtyRequest& req);
  Result<Empty> close_io(const task::CloseIORequest& req);
  Result<task::PidsResponse> pids(const task::PidsRequest& req);
  Result<Empty> pause(const task::PauseRequest& req);
  Result<Empty> resume(const task::ResumeRequest& req);
  Result<Empty> update(const task::UpdateTaskRequest& req);
  Result<task::StatsResponse> stats(const task::StatsRequest& req);
  Result<task::ConnectResponse> connect(const task::ConnectRequest& req);
  Result<Empty> shutdown(const task::ShutdownRequest& req);

  // How many containers are left (for tests and the daemon).
  size_t container_count();

 private:
  Result<std::shared_ptr<Process>> find_locked(const std::string& id, const std::string& exec_id);
  Result<std::shared_ptr<Process>> find(const std::string& id, const std::string& exec_id);
  Result<runtime::Sandbox*> sandbox_locked();
  // A reference to the agent, for a call made after mu_ is released.
  Result<std::shared_ptr<agent_client::Agent>> agent_locked();
  // The same, once container `id` is known to exist (takes mu_).
  Result<std::shared_ptr<agent_client::Agent>> container_agent(const std::string& id);
  Result<void> ensure_sandbox(const std::string& id, const BundleInfo& info);
  Result<void> start_process(const std::shared_ptr<Process>& process);
  void run_waiter(std::shared_ptr<agent_client::Agent> agent, std::shared_ptr<Process> process);
  void record_exit(const std::shared_ptr<Process>& process, uint32_t status);
  void record_exit_locked(Process& process, uint32_t status);  // holds mu_
  // A process that will never run (its start failed, or it was killed before
  // Start): its stdio is closed and it is reported exited with `status`.
  void end_unstarted(const std::shared_ptr<Process>& process, uint32_t status);
  std::optional<std::string> sandbox_vm_death();
  void join_process(Process& process);
  Result<task::DeleteResponse> remove_container(const std::string& id);
  Result<task::DeleteResponse> remove_exec(const std::string& id, const std::string& exec_id);
  void start_oom_watch();
  // Shuts the VM down (best effort, logged) and forgets it. Holds lifecycle_mu_.
  void stop_sandbox();
  void watch_oom(std::shared_ptr<agent_client::Agent> agent);
  uint32_t task_pid();

  TaskServiceDeps deps_;
  // Serializes Create, Delete and Shutdown: the Sandbox's own lifecycle calls
  // are not thread safe, and a VM boot must not be raced by a second Create.
  std::mutex lifecycle_mu_;
  // Guards every field below and each Process's state. The locking rule for
  // calls that reach the guest: take a reference to the agent under mu_
  // (agent_locked()), release mu_, then call. No call holds mu_ while the guest
  // answers, so a slow or hung guest never blocks State, Wait, Kill or Delete;
  // and the reference keeps the client alive until the call returns, however
  // the sandbox is shut down meanwhile (its end fails the call). Only
  // lifecycle_mu_ is held across guest calls, by Create, Start and Delete.
  std::mutex mu_;
  std::condition_variable exited_cv_;
  // Shared: Kill uses it after releasing mu_ (and may end its VM) while Delete
  // shuts it down.
  std::shared_ptr<runtime::Sandbox> sandbox_;
  uint32_t vmm_pid_ = 0;  // the task pid containerd sees
  std::map<std::string, Container> containers_;
  bool shutting_down_ = false;
  std::thread oom_thread_;
};

}  // namespace kata::shim
