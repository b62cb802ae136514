#include "runtime/sandbox_state.h"

#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace kata::runtime {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

const char* status_name(SandboxStatus s) {
  switch (s) {
    case SandboxStatus::kBooting:
      return "booting";
    case SandboxStatus::kRunning:
      return "running";
  }
  return "booting";
}

json process_json(const sys::ProcessIdentity& p) {
  return json{{"pid", p.pid}, {"start_time", p.start_time}};
}

// The one place that meets nlohmann's exceptions: a missing or mistyped field
// becomes an error naming it.
Result<SandboxState> parse(const json& j) {
  auto fail = [](const std::string& field, const std::string& why) {
    return Error(Code::kInvalidArgument, "sandbox state: `" + field + "` " + why);
  };
  if (!j.is_object()) return fail(".", "is not an object");
  if (j.value("version", 0) != kStateVersion) return fail("version", "is not 1");
  SandboxState s;
  for (const char* key : {"id", "status", "run_dir", "shared_dir"}) {
    if (!j.contains(key) || !j[key].is_string()) return fail(key, "is missing or not a string");
  }
  s.id = j["id"].get<std::string>();
  s.run_dir = j["run_dir"].get<std::string>();
  s.shared_dir = j["shared_dir"].get<std::string>();
  std::string status = j["status"].get<std::string>();
  if (status == "booting")
    s.status = SandboxStatus::kBooting;
  else if (status == "running")
    s.status = SandboxStatus::kRunning;
  else
    return fail("status", "is `" + status + "`");
  const json& procs = j.value("processes", json::object());
  if (!procs.is_object()) return fail("processes", "is not an object");
  for (auto [key, field] : {std::pair{"service", &s.service}, std::pair{"qemu", &s.qemu},
                            std::pair{"virtiofsd", &s.virtiofsd}}) {
    if (!procs.contains(key)) continue;
    const json& p = procs[key];
    std::string name = std::string("processes.") + key;
    if (!p.is_object() || !p.contains("pid") || !p["pid"].is_number_integer() ||
        !p.contains("start_time") || !p["start_time"].is_number_unsigned()) {
      return fail(name, "needs an integer pid and start_time");
    }
    long long pid = p["pid"].get<long long>();
    if (pid <= 0 || pid > 0x3fffffff) return fail(name + ".pid", "is out of range");
    *field = sys::ProcessIdentity{static_cast<pid_t>(pid), p["start_time"].get<uint64_t>()};
  }
  return s;
}

}  // namespace

std::string sandbox_state_path(const std::string& run_dir) {
  return run_dir + "/" + kSandboxStateFile;
}

std::string to_json(const SandboxState& state) {
  json procs = json::object();
  if (!state.service.empty()) procs["service"] = process_json(state.service);
  if (!state.qemu.empty()) procs["qemu"] = process_json(state.qemu);
  if (!state.virtiofsd.empty()) procs["virtiofsd"] = process_json(state.virtiofsd);
  json j{{"version", kStateVersion},
         {"id", state.id},
         {"status", status_name(state.status)},
         {"run_dir", state.run_dir},
         {"shared_dir", state.shared_dir},
         {"processes", procs}};
  return j.dump(2) + "\n";
}

Result<SandboxState> sandbox_state_from_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error(Code::kInvalidArgument, "sandbox state: not valid JSON");
  try {
    return parse(j);
  } catch (const json::exception& e) {
    return Error(Code::kInvalidArgument, std::string("sandbox state: ") + e.what());
  }
}

Result<void> write_sandbox_state(const SandboxState& state) {
  return fs::write_file_atomic(sandbox_state_path(state.run_dir), to_json(state), 0600)
      .context("write the state of sandbox " + state.id);
}

Result<SandboxState> read_sandbox_state(const std::string& run_dir) {
  std::string path = sandbox_state_path(run_dir);
  if (!fs::exists(path)) return Error(Code::kNotFound, "no sandbox state `" + path + "`");
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  return sandbox_state_from_json(text).context("read `" + path + "`");
}

}  // namespace kata::runtime
