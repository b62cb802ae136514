// pause, resume, update.
#include <nlohmann/json.hpp>

#include "cli/container_ops.h"
#include "cli/verbs.h"

namespace kata::cli {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

int pause_or_resume(const GlobalOptions& g, const std::string& id, bool pause) {
  Result<ContainerRecord> record = find_container(g, id);
  if (!record) return report(g, record.error());
  ContainerStatus status = query_status(*record);
  if (pause && status.status != kRunning) {
    return report(g, Error(Code::kFailedPrecondition, "container not running"));
  }
  if (!pause && status.status != kPaused) {
    return report(g, Error(Code::kFailedPrecondition, "container not paused"));
  }
  Result<ServiceClient> client = connect_service(*record);
  if (!client) return report(g, client.error());
  // PauseRequest and ResumeRequest have the same one field.
  task::PauseRequest req;
  req.set_id(id);
  Result<google::protobuf::Empty> done =
      client->call<google::protobuf::Empty>(pause ? "Pause" : "Resume", req, 60s);
  return done ? 0 : report(g, done.error());
}

// update's flags; each one given sets its field of runtime-spec LinuxResources.
struct UpdateArgs {
  std::string id;
  std::string resources;                      // a file, or - for stdin
  std::map<std::string, std::string> values;  // flag name → value
};

struct ResourceFlag {
  const char* flag;
  const char* section;
  const char* field;
  bool is_string;
};

constexpr ResourceFlag kResourceFlags[] = {
    {"memory", "memory", "limit", false},
    {"memory-reservation", "memory", "reservation", false},
    {"memory-swap", "memory", "swap", false},
    {"kernel-memory", "memory", "kernel", false},
    {"kernel-memory-tcp", "memory", "kernelTCP", false},
    {"cpu-shares", "cpu", "shares", false},
    {"cpu-quota", "cpu", "quota", false},
    {"cpu-period", "cpu", "period", false},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", false},
    {"cpu-rt-period", "cpu", "realtimePeriod", false},
    {"cpuset-cpus", "cpu", "cpus", true},
    {"cpuset-mems", "cpu", "mems", true},
    {"blkio-weight", "blockIO", "weight", false},
    {"pids-limit", "pids", "limit", false},
};

// A size as runc's update takes it: bytes, or with a k/m/g suffix; -1 unlimited.
Result<int64_t> parse_size(const std::string& text) {
  const Error bad(Code::kInvalidArgument, "invalid value \"" + text + "\"");
  if (text == "-1") return -1;
  size_t end = 0;
  int64_t n = 0;
  try {
    n = std::stoll(text, &end);
  } catch (const std::exception&) {
    return bad;
  }
  std::string suffix = text.substr(end);
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (suffix.empty() || suffix == "b") return n;
  if (suffix == "k" || suffix == "kb") return n << 10;
  if (suffix == "m" || suffix == "mb") return n << 20;
  if (suffix == "g" || suffix == "gb") return n << 30;
  return bad;
}

Result<json> update_resources(const UpdateArgs& a) {
  json r = json::object();
  if (!a.resources.empty()) {
    KATA_ASSIGN_OR_RETURN(std::string text, read_file_or_stdin(a.resources));
    r = json::parse(text, nullptr, false);
    if (r.is_discarded() || !r.is_object()) {
      return Error(Code::kInvalidArgument, "decode resources: not a JSON object");
    }
  }
  for (const ResourceFlag& f : kResourceFlags) {
    auto it = a.values.find(f.flag);
    if (it == a.values.end()) continue;
    if (f.is_string) {
      r[f.section][f.field] = it->second;
    } else {
      KATA_ASSIGN_OR_RETURN(int64_t n, parse_size(it->second));
      r[f.section][f.field] = n;
    }
  }
  return r;
}

int update(const GlobalOptions& g, const UpdateArgs& a) {
  Result<ContainerRecord> record = find_container(g, a.id);
  if (!record) return report(g, record.error());
  Result<json> resources = update_resources(a);
  if (!resources) return report(g, resources.error());
  Result<ServiceClient> client = connect_service(*record);
  if (!client) return report(g, client.error());
  task::UpdateTaskRequest req;
  req.set_id(a.id);
  req.mutable_resources()->set_type_url(
      "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources");
  req.mutable_resources()->set_value(resources->dump());
  Result<google::protobuf::Empty> done = client->call<google::protobuf::Empty>("Update", req, 60s);
  return done ? 0 : report(g, done.error());
}

}  // namespace

void add_control_verbs(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;
  for (bool pause : {true, false}) {
    auto id = std::make_shared<std::string>();
    verbs
        .add(app, pause ? "pause" : "resume",
             pause ? "suspend every process of the container" : "resume a paused container",
             [&g, id, pause] { return pause_or_resume(g, *id, pause); })
        ->add_option("id", *id, "the container id")
        ->required();
  }

  auto a = std::make_shared<UpdateArgs>();
  CLI::App* c = verbs.add(app, "update", "update a container's resource limits",
                          [&g, a] { return update(g, *a); });
  c->add_option("-r,--resources", a->resources, "runtime-spec LinuxResources JSON (- for stdin)");
  for (const ResourceFlag& f : kResourceFlags) {
    std::string name = f.flag;
    c->add_option_function<std::string>(
        "--" + name, [a, name](const std::string& v) { a->values[name] = v; }, "");
  }
  c->add_option("id", a->id, "the container id")->required();
}

}  // namespace kata::cli
