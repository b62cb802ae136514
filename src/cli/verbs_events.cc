// events: the container's statistics as runc prints them (type "stats"),
// once (--stats) or every --interval until it stops.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/container_ops.h"
#include "cli/verbs.h"
#include "containerd/metrics.pb.h"
#include "containerd/metrics_v1.pb.h"

namespace kata::cli {
namespace {

using ordered_json = nlohmann::ordered_json;
namespace v1 = io::containerd::cgroups::v1;
namespace v2 = io::containerd::cgroups::v2;

// runc's libcontainer Stats fields that the guest's cgroup answers.
Result<ordered_json> stats_data(const google::protobuf::Any& metrics) {
  uint64_t cpu_ns = 0, memory = 0, limit = 0, pids = 0, pids_limit = 0;
  if (metrics.type_url().ends_with("cgroups.v1.Metrics")) {
    v1::Metrics m;
    if (!m.ParseFromString(metrics.value())) return Error(Code::kDataLoss, "decode v1 metrics");
    cpu_ns = m.cpu().usage().total();
    memory = m.memory().usage().usage();
    limit = m.memory().usage().limit();
    pids = m.pids().current();
    pids_limit = m.pids().limit();
  } else {
    v2::Metrics m;
    if (!m.ParseFromString(metrics.value())) return Error(Code::kDataLoss, "decode v2 metrics");
    cpu_ns = m.cpu().usage_usec() * 1000;
    memory = m.memory().usage();
    limit = m.memory().usage_limit();
    pids = m.pids().current();
    pids_limit = m.pids().limit();
  }
  return ordered_json{
      {"cpu", {{"usage", {{"total", cpu_ns}}}}},
      {"memory", {{"usage", {{"limit", limit}, {"usage", memory}}}}},
      {"pids", {{"current", pids}, {"limit", pids_limit}}},
  };
}

Result<ordered_json> stats_event(const ContainerRecord& record) {
  KATA_ASSIGN_OR_RETURN(ServiceClient client, connect_service(record));
  task::StatsRequest req;
  req.set_id(record.id);
  KATA_ASSIGN_OR_RETURN(task::StatsResponse stats,
                        client.call<task::StatsResponse>("Stats", req, std::chrono::seconds(30)));
  KATA_ASSIGN_OR_RETURN(ordered_json data, stats_data(stats.stats()));
  return ordered_json{{"type", "stats"}, {"id", record.id}, {"data", data}};
}

// Go durations as runc's --interval takes them: "5s", "500ms", "1m".
Result<std::chrono::milliseconds> parse_interval(const std::string& text) {
  size_t end = 0;
  double n = 0;
  try {
    n = std::stod(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  std::string unit = text.substr(end);
  double ms = unit == "ms" ? n : unit == "s" ? n * 1000 : unit == "m" ? n * 60000 : -1;
  if (end == 0 || ms <= 0) {
    return Error(Code::kInvalidArgument, "duration must be greater than 0: \"" + text + "\"");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

int events(const GlobalOptions& g, const std::string& id, bool once, const std::string& interval) {
  Result<ContainerRecord> record = find_container(g, id);
  if (!record) return report(g, record.error());
  Result<std::chrono::milliseconds> every = parse_interval(interval);
  if (!every) return report(g, every.error());
  if (query_status(*record).status == kStopped) {
    return report(g,
                  Error(Code::kFailedPrecondition, "container with id " + id + " is not running"));
  }
  while (true) {
    Result<ordered_json> event = stats_event(*record);
    if (!event) {
      if (query_status(*record).status == kStopped) return 0;
      return report(g, event.error());
    }
    std::printf("%s\n", event->dump().c_str());
    std::fflush(stdout);
    if (once) return 0;
    std::this_thread::sleep_for(*every);
    if (query_status(*record).status == kStopped) return 0;
  }
}

}  // namespace

void add_events_verb(CLI::App& app, Verbs& verbs) {
  struct EventsArgs {
    std::string id;
    bool stats = false;
    std::string interval = "5s";
  };
  const GlobalOptions& g = verbs.globals;
  auto a = std::make_shared<EventsArgs>();
  CLI::App* c = verbs.add(app, "events", "print the container's statistics as events",
                          [&g, a] { return events(g, a->id, a->stats, a->interval); });
  c->add_flag("--stats", a->stats, "print the statistics once and exit");
  c->add_option("--interval", a->interval, "how often to print them (default 5s)");
  c->add_option("id", a->id, "the container id")->required();
}

}  // namespace kata::cli
