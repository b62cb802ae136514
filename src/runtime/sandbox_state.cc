#include "runtime/sandbox_state.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "resource/network/link.h"

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

json network_json(const NetworkState& n) {
  json redirects = json::array();
  for (const resource::network::Redirect& r : n.redirects) {
    redirects.push_back({{"tap_ifindex", r.tap_ifindex},
                         {"tap_name", r.tap_name},
                         {"veth_ifindex", r.veth_ifindex},
                         {"veth_name", r.veth_name},
                         {"veth_ingress_added", r.veth_ingress_added},
                         {"veth_tx_queue_len", r.veth_tx_queue_len},
                         {"priority", r.priority}});
  }
  return json{{"netns", n.netns_path}, {"netns_inode", n.netns_inode}, {"redirects", redirects}};
}

Error bad_field(const std::string& field, const std::string& why) {
  return Error(Code::kInvalidArgument, "sandbox state: `" + field + "` " + why);
}

// The integer at `j[key]`, from `lo` to `hi`.
Result<int64_t> integer_in(const json& j, const char* key, const std::string& at, int64_t lo,
                           int64_t hi) {
  if (!j.contains(key) || !j[key].is_number_integer()) {
    return bad_field(at + "." + key, "is missing or not an integer");
  }
  // An unsigned above INT64_MAX is out of any range here.
  if (j[key].is_number_unsigned() && j[key].get<uint64_t>() > static_cast<uint64_t>(hi)) {
    return bad_field(at + "." + key, fmt::format("is not from {} to {}", lo, hi));
  }
  int64_t v = j[key].get<int64_t>();
  if (v < lo || v > hi)
    return bad_field(at + "." + key, fmt::format("is not from {} to {}", lo, hi));
  return v;
}

Result<std::string> parse_ifname(const json& j, const char* key, const std::string& at) {
  if (!j.contains(key) || !j[key].is_string()) {
    return bad_field(at + "." + key, "is missing or not a string");
  }
  std::string name = j[key].get<std::string>();
  if (!resource::network::validate_ifname(name)) return bad_field(at + "." + key, "is not a name");
  return name;
}

Result<resource::network::Redirect> parse_redirect(const json& j, const std::string& at) {
  if (!j.is_object()) return bad_field(at, "is not an object");
  resource::network::Redirect r;
  // ifindexes are positive ints, as the kernel's are; a filter priority is 16 bits, and 0
  // would ask the kernel to pick one.
  KATA_ASSIGN_OR_RETURN(int64_t tap_ifindex, integer_in(j, "tap_ifindex", at, 1, INT32_MAX));
  KATA_ASSIGN_OR_RETURN(r.tap_name, parse_ifname(j, "tap_name", at));
  KATA_ASSIGN_OR_RETURN(int64_t veth_ifindex, integer_in(j, "veth_ifindex", at, 1, INT32_MAX));
  KATA_ASSIGN_OR_RETURN(r.veth_name, parse_ifname(j, "veth_name", at));
  if (!j.contains("veth_ingress_added") || !j["veth_ingress_added"].is_boolean()) {
    return bad_field(at + ".veth_ingress_added", "is missing or not a boolean");
  }
  r.veth_ingress_added = j["veth_ingress_added"].get<bool>();
  KATA_ASSIGN_OR_RETURN(int64_t txqlen, integer_in(j, "veth_tx_queue_len", at, 0, UINT32_MAX));
  KATA_ASSIGN_OR_RETURN(int64_t priority, integer_in(j, "priority", at, 1, 0xffff));
  r.tap_ifindex = static_cast<int>(tap_ifindex);
  r.veth_ifindex = static_cast<int>(veth_ifindex);
  r.veth_tx_queue_len = static_cast<uint32_t>(txqlen);
  r.priority = static_cast<int>(priority);
  return r;
}

Result<NetworkState> parse_network(const json& j) {
  if (!j.is_object()) return bad_field("network", "is not an object");
  NetworkState n;
  if (!j.contains("netns") || !j["netns"].is_string() ||
      j["netns"].get<std::string>().rfind('/', 0) != 0) {
    return bad_field("network.netns", "is not an absolute path");
  }
  n.netns_path = j["netns"].get<std::string>();
  if (!j.contains("netns_inode") || !j["netns_inode"].is_number_unsigned()) {
    return bad_field("network.netns_inode", "is missing or not an unsigned integer");
  }
  n.netns_inode = j["netns_inode"].get<uint64_t>();
  if (!j.contains("redirects") || !j["redirects"].is_array()) {
    return bad_field("network.redirects", "is missing or not an array");
  }
  for (size_t i = 0; i < j["redirects"].size(); ++i) {
    KATA_ASSIGN_OR_RETURN(
        resource::network::Redirect r,
        parse_redirect(j["redirects"][i], "network.redirects[" + std::to_string(i) + "]"));
    n.redirects.push_back(std::move(r));
  }
  return n;
}

// The one place that meets nlohmann's exceptions: a missing or mistyped field
// becomes an error naming it.
Result<SandboxState> parse(const json& j) {
  if (!j.is_object()) return bad_field(".", "is not an object");
  if (j.value("version", 0) != kStateVersion) return bad_field("version", "is not 1");
  SandboxState s;
  for (const char* key : {"id", "status", "run_dir", "shared_dir"}) {
    if (!j.contains(key) || !j[key].is_string())
      return bad_field(key, "is missing or not a string");
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
    return bad_field("status", "is `" + status + "`");
  const json& procs = j.value("processes", json::object());
  if (!procs.is_object()) return bad_field("processes", "is not an object");
  for (auto [key, field] : {std::pair{"service", &s.service}, std::pair{"qemu", &s.qemu},
                            std::pair{"virtiofsd", &s.virtiofsd}}) {
    if (!procs.contains(key)) continue;
    const json& p = procs[key];
    std::string name = std::string("processes.") + key;
    if (!p.is_object() || !p.contains("pid") || !p["pid"].is_number_integer() ||
        !p.contains("start_time") || !p["start_time"].is_number_unsigned()) {
      return bad_field(name, "needs an integer pid and start_time");
    }
    long long pid = p["pid"].get<long long>();
    if (pid <= 0 || pid > 0x3fffffff) return bad_field(name + ".pid", "is out of range");
    *field = sys::ProcessIdentity{static_cast<pid_t>(pid), p["start_time"].get<uint64_t>()};
  }
  if (j.contains("network")) {
    KATA_ASSIGN_OR_RETURN(s.network, parse_network(j["network"]));
  }
  const json& cgroups = j.value("cgroups", json::array());
  if (!cgroups.is_array()) return bad_field("cgroups", "is not an array");
  for (const json& dir : cgroups) {
    if (!dir.is_string() || !dir.get<std::string>().starts_with('/')) {
      return bad_field("cgroups", "holds something other than an absolute path");
    }
    s.cgroup_dirs.push_back(dir.get<std::string>());
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
  if (state.network) j["network"] = network_json(*state.network);
  if (!state.cgroup_dirs.empty()) j["cgroups"] = state.cgroup_dirs;
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
