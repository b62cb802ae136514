#include "net_container.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "common/strings.h"
#include "net_probe.h"

namespace kata::bench {
namespace {

using namespace std::chrono_literals;

// httpd, and nc servers that fork a dd per connection: the sink says "ready" and reads
// to EOF, the source writes as many blocks as the line it reads asks for. The container
// lives as long as `wait` does, that is until its task is killed.
std::string serve_script() {
  return fmt::format(
      "echo ok > /tmp/index.html\n"
      "nc -ll -p {} -e sh -c 'echo ready; exec dd of=/dev/null bs={} 2>/dev/null' &\n"
      "nc -ll -p {} -e sh -c 'read n; exec dd if=/dev/zero bs={} count=$n 2>/dev/null' &\n"
      "httpd -p {} -h /tmp\n"
      "echo serving\n"
      "wait\n",
      kSinkPort, kBlockBytes, kSourcePort, kBlockBytes, kHttpPort);
}

}  // namespace

Result<Served> serve(e2e::ContainerdEnv& env, const e2e::CniEnv& cni, const std::string& runtime,
                     std::vector<std::string>& ids) {
  std::string id = env.unique_id("bench-net");
  ids.push_back(id);
  KATA_ASSIGN_OR_RETURN(
      e2e::BackgroundProcess run,
      e2e::BackgroundProcess::spawn(env.ctr_argv({"run", "--rm", "--cni", "--runtime", runtime,
                                                  env.image(), id, "sh", "-c", serve_script()})));
  Status up = run.wait_for_stdout("serving", 300s);
  if (!up)
    return std::move(up).error().context(
        fmt::format("start {} under {}: {}{}", id, runtime, run.err(), env.log_tail(2000)));
  std::string address = cni.address_of(id);
  if (address.empty()) return Error(Code::kNotFound, "host-local leased nothing for " + id);
  return Served{id, address, std::move(run)};
}

Status stop(const e2e::ContainerdEnv& env, Served& s) {
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult killed,
                        env.ctr({"task", "kill", "-s", "SIGKILL", s.id}, 60s));
  if (killed.exit_code != 0)
    return Error(Code::kInternal, "ctr task kill " + s.id + ": " + killed.describe());
  // Its exit code is the workload's, 137: only the exit itself matters.
  Result<e2e::CtrResult> done = s.run.wait(120s);
  if (!done) return std::move(done).error().context("wait for `ctr run` of " + s.id);
  return {};
}

Result<pid_t> task_pid(const e2e::ContainerdEnv& env, const std::string& id) {
  KATA_ASSIGN_OR_RETURN(e2e::CtrResult tasks, env.ctr({"task", "ls"}, 30s));
  for (const std::string& line : split(tasks.out, '\n'))
    if (starts_with(line, id + " ")) return std::atoi(line.c_str() + id.size());
  return Error(Code::kNotFound, "no task " + id + " in `ctr task ls`:\n" + tasks.out);
}

}  // namespace kata::bench
