#pragma once

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agent_client/agent.h"

namespace kata::agent_client::testing {

// A hand-written Agent for unit tests of the runtime and the shim: an
// in-memory guest whose processes the test drives (emit output, exit, OOM),
// with knobs that make calls fail and a log of the calls made.
// Blocking calls (wait_process, read_*, get_oom_event) block like the real
// agent until the test acts or disconnect() plays a dead VM.
class FakeAgent : public Agent {
 public:
  // Knobs: the next calls of that kind fail with this code (kOk: succeed).
  Code fail_create = Code::kOk;
  Code fail_start = Code::kOk;
  Code fail_exec = Code::kOk;
  Code fail_signal = Code::kOk;
  // signal_process ends the process(es) with 128 + signal, as most workloads do.
  bool exit_on_signal = true;
  // stats_container blocks until disconnect(), as a call to a hung guest would.
  bool hang_stats = false;
  // Checks answer this error (an agent that lives but is not well).
  Code fail_check = Code::kOk;
  // Checks get no answer: each blocks until disconnect() or its timeout
  // (DEADLINE_EXCEEDED), as a check of a hung guest does.
  bool hang_check = false;
  // The network calls.
  Code fail_update_interface = Code::kOk;
  Code fail_update_routes = Code::kOk;
  Code fail_list_interfaces = Code::kOk;
  Code fail_add_arp_neighbors = Code::kOk;

  // --- What the test does to the guest ---
  void emit_stdout(const std::string& cid, const std::string& exec, const std::string& data) {
    std::lock_guard lock(mu_);
    procs_[{cid, exec}].out += data;
    cv_.notify_all();
  }
  void emit_stderr(const std::string& cid, const std::string& exec, const std::string& data) {
    std::lock_guard lock(mu_);
    procs_[{cid, exec}].err += data;
    cv_.notify_all();
  }
  // The process ends: its output reaches EOF once read, wait_process returns `code`.
  void exit(const std::string& cid, const std::string& exec, int32_t code) {
    std::lock_guard lock(mu_);
    exit_locked(procs_[{cid, exec}], code);
  }
  void push_oom(const std::string& cid) {
    std::lock_guard lock(mu_);
    ooms_.push_back(cid);
    cv_.notify_all();
  }
  // The VM died: every blocked and later call fails with UNAVAILABLE.
  void disconnect() {
    std::lock_guard lock(mu_);
    disconnected_ = true;
    cv_.notify_all();
  }

  // A new VM came up with this agent: calls work again, no process is left.
  void reconnect() {
    std::lock_guard lock(mu_);
    disconnected_ = false;
    procs_.clear();
    ooms_.clear();
  }

  // The guest's NICs and main table, as list_interfaces and list_routes
  // answer them; update_interface and update_routes change them as the agent
  // would.
  void set_guest_interfaces(grpc::Interfaces interfaces) {
    std::lock_guard lock(mu_);
    guest_interfaces_ = std::move(interfaces);
  }
  void set_guest_routes(grpc::Routes routes) {
    std::lock_guard lock(mu_);
    guest_routes_ = std::move(routes);
  }

  // --- Observations ---
  // The network requests, in order.
  std::vector<types::Interface> interface_updates() {
    std::lock_guard lock(mu_);
    return interface_updates_;
  }
  std::vector<grpc::Routes> route_updates() {
    std::lock_guard lock(mu_);
    return route_updates_;
  }
  std::vector<grpc::ARPNeighbors> neighbor_adds() {
    std::lock_guard lock(mu_);
    return neighbor_adds_;
  }
  grpc::Interfaces guest_interfaces() {
    std::lock_guard lock(mu_);
    return guest_interfaces_;
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::string stdin_of(const std::string& cid, const std::string& exec) {
    std::lock_guard lock(mu_);
    return procs_[{cid, exec}].in;
  }
  bool stdin_closed(const std::string& cid, const std::string& exec) {
    std::lock_guard lock(mu_);
    return procs_[{cid, exec}].in_closed;
  }
  // Blocks until stdin of the process was closed (or a timeout: false).
  bool wait_stdin_closed(const std::string& cid, const std::string& exec,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return procs_[{cid, exec}].in_closed; });
  }
  bool wait_stdin(const std::string& cid, const std::string& exec, const std::string& expected,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return procs_[{cid, exec}].in == expected; });
  }
  // Blocks until a call starting with `prefix` was made (or a timeout: false).
  bool wait_call(const std::string& prefix,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& call : calls_) {
        if (call.rfind(prefix, 0) == 0) return true;
      }
      return false;
    });
  }

  // --- Agent ---
  Result<void> check() override { return check(std::chrono::seconds(30)); }
  Result<void> check(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    KATA_TRY(record("check", fail_check));
    if (hang_check && !cv_.wait_for(lock, timeout, [&] { return disconnected_; })) {
      return Error(Code::kDeadlineExceeded, "fake agent: check got no answer");
    }
    if (disconnected_) return gone();
    return {};
  }
  Result<std::string> version() override { return std::string("fake"); }
  Result<GuestDetails> guest_details() override { return GuestDetails{}; }
  Result<void> create_sandbox(const SandboxSpec&) override { return ok_or_gone("create_sandbox"); }
  Result<void> destroy_sandbox() override { return ok_or_gone("destroy_sandbox"); }
  Result<void> set_guest_time(std::chrono::system_clock::time_point) override { return {}; }

  Result<void> create_container(const grpc::CreateContainerRequest& req) override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("create_container " + req.container_id(), fail_create));
    procs_[{req.container_id(), ""}] = Proc{};
    return {};
  }
  Result<void> start_container(const std::string& cid) override {
    std::lock_guard lock(mu_);
    return record("start_container " + cid, fail_start);
  }
  Result<void> remove_container(const std::string& cid, uint32_t) override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("remove_container " + cid, Code::kOk));
    for (auto& [key, proc] : procs_) {
      if (key.first == cid && !proc.exited) exit_locked(proc, 137);
    }
    return {};
  }
  Result<void> exec_process(const grpc::ExecProcessRequest& req) override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("exec_process " + req.container_id() + "/" + req.exec_id(), fail_exec));
    procs_[{req.container_id(), req.exec_id()}] = Proc{};
    last_exec_ = req;
    return {};
  }
  Result<void> signal_process(const std::string& cid, const std::string& exec,
                              uint32_t signal) override {
    std::lock_guard lock(mu_);
    KATA_TRY(
        record("signal_process " + cid + "/" + exec + " " + std::to_string(signal), fail_signal));
    if (!exit_on_signal) return {};
    for (auto& [key, proc] : procs_) {
      bool hit = key.first == cid && (exec.empty() || key.second == exec);
      if (hit && !proc.exited) exit_locked(proc, 128 + static_cast<int32_t>(signal));
    }
    return {};
  }
  Result<int32_t> wait_process(const std::string& cid, const std::string& exec) override {
    std::unique_lock lock(mu_);
    calls_.push_back("wait_process " + cid + "/" + exec);
    cv_.notify_all();
    cv_.wait(lock, [&] { return disconnected_ || procs_[{cid, exec}].exited; });
    if (disconnected_) return gone();
    return procs_[{cid, exec}].code;
  }
  Result<std::string> read_stdout(const std::string& cid, const std::string& exec,
                                  uint32_t max_bytes) override {
    return read(cid, exec, max_bytes, false);
  }
  Result<std::string> read_stderr(const std::string& cid, const std::string& exec,
                                  uint32_t max_bytes) override {
    return read(cid, exec, max_bytes, true);
  }
  Result<uint32_t> write_stdin(const std::string& cid, const std::string& exec,
                               std::string_view data) override {
    std::lock_guard lock(mu_);
    if (disconnected_) return gone();
    Proc& proc = procs_[{cid, exec}];
    if (proc.exited) return Error(Code::kNotFound, "process exited");
    proc.in.append(data);
    cv_.notify_all();
    return static_cast<uint32_t>(data.size());
  }
  Result<void> close_stdin(const std::string& cid, const std::string& exec) override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("close_stdin " + cid + "/" + exec, Code::kOk));
    procs_[{cid, exec}].in_closed = true;
    return {};
  }
  Result<void> tty_win_resize(const std::string& cid, const std::string& exec, uint32_t rows,
                              uint32_t columns) override {
    std::lock_guard lock(mu_);
    return record("tty_win_resize " + cid + "/" + exec + " " + std::to_string(rows) + "x" +
                      std::to_string(columns),
                  Code::kOk);
  }
  Result<grpc::StatsContainerResponse> stats_container(const std::string& cid) override {
    std::unique_lock lock(mu_);
    KATA_TRY(record("stats_container " + cid, Code::kOk));
    // A hung guest: the answer never comes, the call fails only when the VM goes.
    if (hang_stats) {
      cv_.wait(lock, [&] { return disconnected_; });
      return gone();
    }
    return stats;
  }
  Result<void> pause_container(const std::string& cid) override {
    std::lock_guard lock(mu_);
    return record("pause_container " + cid, Code::kOk);
  }
  Result<void> resume_container(const std::string& cid) override {
    std::lock_guard lock(mu_);
    return record("resume_container " + cid, Code::kOk);
  }
  Result<void> update_container(const grpc::UpdateContainerRequest& req) override {
    std::lock_guard lock(mu_);
    last_update = req;
    return record("update_container " + req.container_id(), Code::kOk);
  }
  Result<std::string> get_oom_event() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return disconnected_ || !ooms_.empty(); });
    if (disconnected_) return gone();
    std::string cid = ooms_.front();
    ooms_.pop_front();
    return cid;
  }

  // Finds the NIC as the agent does (hwAddr, else device) and applies the
  // request to it. A NIC it does not know is taken as one the guest has: the
  // request comes back as the answer, so tests that do not script NICs pass.
  Result<types::Interface> update_interface(const types::Interface& iface) override {
    std::lock_guard lock(mu_);
    const std::string& label = !iface.name().empty() ? iface.name() : iface.hwaddr();
    KATA_TRY(record("update_interface " + label, fail_update_interface));
    interface_updates_.push_back(iface);
    types::Interface* nic = find_nic(iface);
    types::Interface answer = nic != nullptr ? *nic : types::Interface();
    if (!iface.name().empty()) answer.set_name(iface.name());
    answer.set_device(answer.name());
    if (!iface.hwaddr().empty()) answer.set_hwaddr(lower(iface.hwaddr()));
    if (iface.mtu() != 0) answer.set_mtu(iface.mtu());
    *answer.mutable_ipaddresses() = iface.ipaddresses();
    if (nic != nullptr) *nic = answer;
    return answer;
  }
  Result<grpc::Routes> update_routes(const grpc::Routes& routes) override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("update_routes " + std::to_string(routes.routes_size()), fail_update_routes));
    route_updates_.push_back(routes);
    auto named = [&](const types::Route& r) {
      return std::any_of(routes.routes().begin(), routes.routes().end(),
                         [&](const types::Route& n) { return n.device() == r.device(); });
    };
    grpc::Routes table;
    for (const types::Route& r : guest_routes_.routes()) {
      if (!named(r)) *table.add_routes() = r;
    }
    for (const types::Route& r : routes.routes()) *table.add_routes() = r;
    guest_routes_ = table;
    return table;
  }
  Result<grpc::Interfaces> list_interfaces() override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("list_interfaces", fail_list_interfaces));
    return guest_interfaces_;
  }
  Result<grpc::Routes> list_routes() override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("list_routes", Code::kOk));
    return guest_routes_;
  }
  Result<void> add_arp_neighbors(const grpc::ARPNeighbors& neighbors) override {
    std::lock_guard lock(mu_);
    KATA_TRY(record("add_arp_neighbors " + std::to_string(neighbors.arpneighbors_size()),
                    fail_add_arp_neighbors));
    neighbor_adds_.push_back(neighbors);
    return {};
  }

  grpc::StatsContainerResponse stats;        // what stats_container answers
  grpc::UpdateContainerRequest last_update;  // the last update_container request
  grpc::ExecProcessRequest last_exec() {
    std::lock_guard lock(mu_);
    return last_exec_;
  }

 private:
  struct Proc {
    std::string out, err, in;
    bool in_closed = false;
    bool exited = false;
    int32_t code = 0;
  };

  static Error gone() { return Error(Code::kUnavailable, "fake agent: connection lost"); }

  void exit_locked(Proc& proc, int32_t code) {
    proc.exited = true;
    proc.code = code;
    cv_.notify_all();
  }

  Result<void> record(std::string call, Code fail) {
    calls_.push_back(std::move(call));
    cv_.notify_all();
    if (disconnected_) return gone();
    if (fail != Code::kOk) return Error(fail, "fake agent: " + calls_.back() + " fails");
    return {};
  }

  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  types::Interface* find_nic(const types::Interface& iface) {
    auto& nics = *guest_interfaces_.mutable_interfaces();
    auto it = std::find_if(nics.begin(), nics.end(), [&](const types::Interface& n) {
      return !iface.hwaddr().empty() && lower(n.hwaddr()) == lower(iface.hwaddr());
    });
    if (it == nics.end() && !iface.device().empty()) {
      it = std::find_if(nics.begin(), nics.end(),
                        [&](const types::Interface& n) { return n.name() == iface.device(); });
    }
    return it == nics.end() ? nullptr : &*it;
  }

  Result<void> ok_or_gone(const char* call) {
    std::lock_guard lock(mu_);
    return record(call, Code::kOk);
  }

  Result<std::string> read(const std::string& cid, const std::string& exec, uint32_t max_bytes,
                           bool is_stderr) {
    std::unique_lock lock(mu_);
    auto buffer = [&]() -> std::string& {
      Proc& proc = procs_[{cid, exec}];
      return is_stderr ? proc.err : proc.out;
    };
    cv_.wait(lock, [&] {
      return disconnected_ || !buffer().empty() || procs_[{cid, exec}].exited;
    });
    if (disconnected_) return gone();
    std::string chunk = buffer().substr(0, max_bytes);
    buffer().erase(0, chunk.size());
    return chunk;  // empty only once the process exited: EOF
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, std::string>, Proc> procs_;
  std::deque<std::string> ooms_;
  std::vector<std::string> calls_;
  grpc::ExecProcessRequest last_exec_;
  grpc::Interfaces guest_interfaces_;
  grpc::Routes guest_routes_;
  std::vector<types::Interface> interface_updates_;
  std::vector<grpc::Routes> route_updates_;
  std::vector<grpc::ARPNeighbors> neighbor_adds_;
  bool disconnected_ = false;
};

}  // namespace kata::agent_client::testing
