#include "runtime/service/container_state.h"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/id.h"

namespace kata::runtime::service {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;
constexpr std::pair<ContainerStatus, const char*> kStatusNames[] = {
    {ContainerStatus::kCreated, "created"},
    {ContainerStatus::kRunning, "running"},
    {ContainerStatus::kPaused, "paused"},
    {ContainerStatus::kStopped, "stopped"},
};

const char* status_name(ContainerStatus status) {
  for (auto [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "created";
}

int64_t to_unix_ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The one place that meets nlohmann's exceptions.
Result<ContainerState> parse(const json& j) {
  auto fail = [](const std::string& field, const std::string& why) {
    return Error(Code::kInvalidArgument, "container state: `" + field + "` " + why);
  };
  if (!j.is_object()) return fail(".", "is not an object");
  if (j.value("version", 0) != kStateVersion) return fail("version", "is not 1");
  for (const char* key : {"id", "sandbox_id", "bundle", "status"}) {
    if (!j.contains(key) || !j[key].is_string()) return fail(key, "is missing or not a string");
  }
  for (const char* key : {"pid", "exit_status", "created_ns"}) {
    if (!j.contains(key) || !j[key].is_number_unsigned()) {
      return fail(key, "is missing or not an unsigned integer");
    }
  }
  ContainerState s;
  s.id = j["id"].get<std::string>();
  s.sandbox_id = j["sandbox_id"].get<std::string>();
  s.bundle = j["bundle"].get<std::string>();
  std::string status = j["status"].get<std::string>();
  bool known = false;
  for (auto [value, name] : kStatusNames) {
    if (status == name) s.status = value, known = true;
  }
  if (!known) return fail("status", "is `" + status + "`");
  if (j["pid"].get<uint64_t>() > UINT32_MAX) return fail("pid", "is out of range");
  if (j["exit_status"].get<uint64_t>() > UINT32_MAX) return fail("exit_status", "is out of range");
  s.pid = j["pid"].get<uint32_t>();
  s.exit_status = j["exit_status"].get<uint32_t>();
  s.created_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(j["created_ns"].get<int64_t>())));
  return s;
}

}  // namespace

std::string container_state_path(const std::string& run_dir, const std::string& id) {
  return run_dir + "/containers/" + id + ".json";
}

std::string to_json(const ContainerState& state) {
  json j{{"version", kStateVersion},
         {"id", state.id},
         {"sandbox_id", state.sandbox_id},
         {"bundle", state.bundle},
         {"status", status_name(state.status)},
         {"pid", state.pid},
         {"exit_status", state.exit_status},
         {"created_ns", static_cast<uint64_t>(to_unix_ns(state.created_at))}};
  return j.dump(2) + "\n";
}

Result<ContainerState> container_state_from_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error(Code::kInvalidArgument, "container state: not valid JSON");
  try {
    return parse(j);
  } catch (const json::exception& e) {
    return Error(Code::kInvalidArgument, std::string("container state: ") + e.what());
  }
}

Result<void> write_container_state(const std::string& run_dir, const ContainerState& state) {
  const std::string what = "write the state of container " + state.id;
  KATA_TRY(validate_id(state.id).context(what));  // it names a file
  KATA_TRY(fs::mkdir_all(run_dir + "/containers", 0700).context(what));
  return fs::write_file_atomic(container_state_path(run_dir, state.id), to_json(state), 0600)
      .context(what);
}

Result<ContainerState> read_container_state(const std::string& run_dir, const std::string& id) {
  KATA_TRY(validate_id(id).context("read the state of container " + id));
  std::string path = container_state_path(run_dir, id);
  if (!fs::exists(path)) return Error(Code::kNotFound, "no container state `" + path + "`");
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  return container_state_from_json(text).context("read `" + path + "`");
}

Result<void> remove_container_state(const std::string& run_dir, const std::string& id) {
  KATA_TRY(validate_id(id).context("remove the state of container " + id));
  std::string path = container_state_path(run_dir, id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error::from_errno(errno, "remove `" + path + "`");
  }
  return {};
}

}  // namespace kata::runtime::service
