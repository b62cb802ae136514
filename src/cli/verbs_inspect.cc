// state, list, ps, events.
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/container_ops.h"
#include "cli/verbs.h"
#include "sys/subprocess.h"

namespace kata::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

// The OCI runtime state, with runc's fields in runc's order.
ordered_json state_json(const ContainerRecord& record, const ContainerStatus& status,
                        const std::string& owner) {
  ordered_json j = {
      {"ociVersion", "1.0.2-dev"},
      {"id", record.id},
      {"pid", visible_pid(record, status)},
      {"status", status.status},
      {"bundle", record.bundle},
      {"rootfs", record.rootfs},
      {"created", rfc3339_nano(record.created)},
  };
  if (!record.annotations.empty()) j["annotations"] = record.annotations;
  j["owner"] = owner;
  return j;
}

std::string owner_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  passwd* pw = ::getpwuid(st.st_uid);
  return pw != nullptr ? pw->pw_name : "#" + std::to_string(st.st_uid);
}

// Go's tabwriter as runc sets it up for `list` (minimum width 12, padding 3).
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(12);
      width[i] = std::max(width[i], row[i].size() + 3);
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(width[i] - row[i].size(), ' ');
    }
    out += "\n";
  }
  return out;
}

int list(const GlobalOptions& g, const std::string& format, bool quiet) {
  std::vector<ContainerRecord> records = list_records(g.root);
  if (quiet) {
    for (const ContainerRecord& r : records) std::printf("%s\n", r.id.c_str());
    return 0;
  }
  if (format == "json") {
    ordered_json all = ordered_json::array();
    for (const ContainerRecord& r : records) {
      all.push_back(state_json(r, query_status(r), owner_of(record_path(g.root, r.id))));
    }
    // runc prints an empty list as null.
    std::printf("%s\n", records.empty() ? "null" : all.dump().c_str());
    return 0;
  }
  if (format != "table") {
    return report(g, Error(Code::kInvalidArgument, "invalid format option"));
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const ContainerRecord& r : records) {
    ContainerStatus status = query_status(r);
    rows.push_back({r.id, std::to_string(visible_pid(r, status)), status.status, r.bundle,
                    rfc3339_nano(r.created), owner_of(record_path(g.root, r.id))});
  }
  std::fputs(table(rows).c_str(), stdout);
  return 0;
}

// The host processes that stand for the container: its init's relay.
int ps(const GlobalOptions& g, const std::vector<std::string>& args, const std::string& format) {
  Result<ContainerRecord> record = find_container(g, args.at(0));
  if (!record) return report(g, record.error());
  ContainerStatus status = query_status(*record);
  std::vector<uint32_t> pids;
  if (status.status != kStopped) pids.push_back(visible_pid(*record, status));
  if (format == "json") {
    std::printf("%s\n", nlohmann::json(pids).dump().c_str());
    return 0;
  }
  if (format != "table") return report(g, Error(Code::kInvalidArgument, "invalid format option"));
  sys::SpawnOptions o;
  o.argv = {"ps"};
  if (args.size() > 1) {
    o.argv.insert(o.argv.end(), args.begin() + 1, args.end());
  } else {
    o.argv.push_back("-ef");
  }
  Result<sys::CapturedOutput> out = sys::run_capture(o, std::chrono::seconds(30));
  if (!out) return report(g, out.error());
  if (!out->status.success()) return report(g, Error(Code::kInternal, "ps: " + out->err));
  // As runc: the header, then the lines whose PID column is one of the container's.
  std::istringstream lines(out->out);
  std::string line;
  std::getline(lines, line);
  std::istringstream header(line);
  std::string word;
  int pid_column = -1;
  for (int i = 0; header >> word; ++i) {
    if (word == "PID") pid_column = i;
  }
  if (pid_column < 0)
    return report(g, Error(Code::kInvalidArgument, "couldn't find PID field in ps output"));
  std::printf("%s\n", line.c_str());
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    for (int i = 0; fields >> word && i <= pid_column; ++i) {
      if (i == pid_column && std::find(pids.begin(), pids.end(),
                                       std::strtoul(word.c_str(), nullptr, 10)) != pids.end()) {
        std::printf("%s\n", line.c_str());
      }
    }
  }
  return 0;
}

}  // namespace

void add_inspect_verbs(CLI::App& app, Verbs& verbs) {
  const GlobalOptions& g = verbs.globals;

  auto state_id = std::make_shared<std::string>();
  verbs
      .add(app, "state", "output the state of a container",
           [&g, state_id] {
             Result<ContainerRecord> record = find_container(g, *state_id);
             if (!record) return report(g, record.error());
             // runc's state says "" for the owner, its list the user's name.
             std::printf("%s", state_json(*record, query_status(*record), "").dump(2).c_str());
             return 0;
           })
      ->add_option("id", *state_id, "the container id")
      ->required();

  struct ListArgs {
    std::string format = "table";
    bool quiet = false;
  };
  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list_cmd = verbs.add(app, "list", "list the containers under --root", [&g, list_args] {
    return list(g, list_args->format, list_args->quiet);
  });
  list_cmd->add_option("-f,--format", list_args->format, "table or json");
  list_cmd->add_flag("-q,--quiet", list_args->quiet, "print the ids only");

  auto ps_format = std::make_shared<std::string>("table");
  auto ps_cmd = std::make_shared<CLI::App*>();
  *ps_cmd = verbs.add(app, "ps", "list the host processes of a container: ID [ps options]",
                      [&g, ps_format, ps_cmd] {
                        std::vector<std::string> args = (*ps_cmd)->remaining();
                        if (args.empty()) {
                          return report(
                              g, Error(Code::kInvalidArgument, "ps requires at least 1 argument"));
                        }
                        return ps(g, args, *ps_format);
                      });
  (*ps_cmd)->add_option("-f,--format", *ps_format, "table or json");
  (*ps_cmd)->prefix_command();
}

}  // namespace kata::cli
