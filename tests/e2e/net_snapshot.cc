#include "e2e/net_snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <thread>

#include "common/strings.h"
#include "sys/subprocess.h"

namespace kata::e2e {
namespace {

Result<std::string> sections(const std::string& netns_path,
                             const std::vector<std::vector<std::string>>& commands) {
  std::string out;
  for (const std::vector<std::string>& argv : commands) {
    KATA_ASSIGN_OR_RETURN(std::string text, run_in_netns(netns_path, argv));
    // Each line names its command: a difference then says where it is.
    for (const std::string& line : split(text, '\n'))
      out += fmt::format("{}: {}\n", fmt::join(argv, " "), line);
  }
  return out;
}

}  // namespace

Result<std::string> run_in_netns(const std::string& netns_path, std::vector<std::string> argv) {
  if (!netns_path.empty()) argv.insert(argv.begin(), {"nsenter", "--net=" + netns_path, "--"});
  std::string what = fmt::format("run `{}`", fmt::join(argv, " "));
  Result<sys::CapturedOutput> out = sys::run_capture({.argv = argv}, std::chrono::seconds(30));
  if (!out) return std::move(out).error().context(what);
  if (!out->status.success())
    return Error(Code::kInternal,
                 fmt::format("{}: {}: {}", what, out->status.describe(), one_line(out->err)));
  return out->out;
}

Result<std::string> ip_snapshot(const std::string& netns_path) {
  return sections(
      netns_path,
      {{"ip", "-o", "link"}, {"ip", "-o", "addr"}, {"ip", "route"}, {"ip", "-6", "route"}});
}

Result<std::string> settled_ip_snapshot(std::chrono::milliseconds timeout) {
  KATA_ASSIGN_OR_RETURN(std::string last, ip_snapshot());
  for (auto deadline = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    KATA_ASSIGN_OR_RETURN(std::string now, ip_snapshot());
    if (now == last) return now;
    last = std::move(now);
  }
  return Error(Code::kDeadlineExceeded, "the network kept changing; last:\n" + last);
}

Result<std::string> ip_diff_within(const std::string& before, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    KATA_ASSIGN_OR_RETURN(std::string now, ip_snapshot());
    std::string diff = diff_lines(before, now);
    if (diff.empty() || std::chrono::steady_clock::now() >= deadline) return diff;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Result<std::string> tc_snapshot(const std::string& netns_path) {
  return sections(netns_path, {{"ip", "-o", "link"},
                               {"tc", "qdisc", "show"},
                               {"tc", "filter", "show", "dev", "eth0", "ingress"}});
}

std::string diff_lines(const std::string& before, const std::string& after) {
  std::vector<std::string> b = split(before, '\n'), a = split(after, '\n');
  std::multiset<std::string> in_before(b.begin(), b.end()), in_after(a.begin(), a.end());
  std::string out;
  for (const std::string& line : b)
    if (!in_after.contains(line)) out += "- " + line + "\n";
  for (const std::string& line : a)
    if (!in_before.contains(line)) out += "+ " + line + "\n";
  return out;
}

}  // namespace kata::e2e
