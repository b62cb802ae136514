#include "cli/container_record.h"

#include <dirent.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/id.h"
#include "shim/sha256.h"

namespace kata::cli {
namespace {

constexpr int kRecordVersion = 1;

nlohmann::json identity_json(const sys::ProcessIdentity& who) {
  return {{"pid", who.pid}, {"start_time", who.start_time}};
}

sys::ProcessIdentity identity_of(const nlohmann::json& j) {
  return sys::ProcessIdentity{j.at("pid").get<pid_t>(), j.at("start_time").get<uint64_t>()};
}

}  // namespace

std::string container_dir(const std::string& root, const std::string& id) {
  return root + "/" + id;
}

std::string record_path(const std::string& root, const std::string& id) {
  return container_dir(root, id) + "/state.json";
}

std::string service_socket(const std::string& root, const std::string& sandbox_id) {
  // 128 bits of the hash: as unique as the ids themselves, and a short path.
  return std::string(kServiceSocketDir) + "/" +
         shim::sha256_hex(root + "/" + sandbox_id).substr(0, 32) + ".sock";
}

std::string encode_record(const ContainerRecord& r) {
  nlohmann::json j = {
      {"version", kRecordVersion},
      {"id", r.id},
      {"bundle", r.bundle},
      {"rootfs", r.rootfs},
      {"sandbox_id", r.sandbox_id},
      {"socket", r.socket},
      {"service", identity_json(r.service)},
      {"relay", identity_json(r.relay)},
      {"created_ns",
       std::chrono::duration_cast<std::chrono::nanoseconds>(r.created.time_since_epoch()).count()},
      {"annotations", r.annotations},
  };
  return j.dump(2) + "\n";
}

Result<ContainerRecord> decode_record(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(Code::kInvalidArgument, "not a JSON object");
  }
  try {
    if (j.at("version").get<int>() != kRecordVersion) {
      return Error(Code::kInvalidArgument,
                   "version " + j.at("version").dump() + " (this kata-runtime writes 1)");
    }
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.bundle = j.at("bundle").get<std::string>();
    r.rootfs = j.at("rootfs").get<std::string>();
    r.sandbox_id = j.at("sandbox_id").get<std::string>();
    r.socket = j.at("socket").get<std::string>();
    r.service = identity_of(j.at("service"));
    r.relay = identity_of(j.at("relay"));
    r.created = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(j.at("created_ns").get<int64_t>())));
    r.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    KATA_TRY(validate_id(r.id));
    KATA_TRY(validate_id(r.sandbox_id));
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Error(Code::kInvalidArgument, e.what());
  }
}

Result<void> write_record(const std::string& root, const ContainerRecord& record) {
  return fs::write_file_atomic(record_path(root, record.id), encode_record(record), 0600);
}

Result<ContainerRecord> read_record(const std::string& root, const std::string& id) {
  if (!validate_id(id)) return Error(Code::kNotFound, "container does not exist");
  std::string path = record_path(root, id);
  Result<std::string> text = fs::read_file(path);
  if (!text && text.error().sys_errno() == ENOENT) {
    return Error(Code::kNotFound, "container does not exist");
  }
  if (!text) return std::move(text).error();
  Result<ContainerRecord> record = decode_record(*text);
  if (!record) return std::move(record).error().context("read `" + path + "`");
  return record;
}

std::vector<ContainerRecord> list_records(const std::string& root) {
  std::vector<ContainerRecord> out;
  DIR* dir = ::opendir(root.c_str());
  if (dir == nullptr) return out;
  while (dirent* entry = ::readdir(dir)) {
    Result<ContainerRecord> record = read_record(root, entry->d_name);
    if (record) out.push_back(std::move(*record));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(),
            [](const ContainerRecord& a, const ContainerRecord& b) { return a.id < b.id; });
  return out;
}

std::string rfc3339_nano(std::chrono::system_clock::time_point when) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  time_t seconds = static_cast<time_t>(ns / 1000000000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%09lld", static_cast<long long>(ns % 1000000000));
  // Go's RFC3339Nano drops trailing zeros of the fraction, and the dot with them.
  std::string out = buf;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + "Z";
}

}  // namespace kata::cli
