#include "e2e/leak_check.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/ctr_process.h"
#include "sys/proc_scan.h"

namespace kata::e2e {
namespace {

constexpr const char* kShimSocketDir = "/run/containerd/s";

// Paths of the unix sockets that are bound and listening in our network namespace.
std::set<std::string> listening_unix_sockets() {
  std::set<std::string> paths;
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = __SO_ACCEPTCON.
    std::vector<std::string> f = split(line, ' ');
    if (f.size() >= 8 && f[3] == "00010000") paths.insert(f[7]);
  }
  return paths;
}

void check_mounts(const std::string& id, LeakReport& report) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (mentions_id(line, id)) report.leaks.push_back("mount: " + line);
}

void check_sockets(const std::string& id, const std::string& address, const std::string& ns,
                   const std::set<std::string>& before, LeakReport& report) {
  std::string own = shim_socket_path(address, ns, id);
  std::set<std::string> listening = listening_unix_sockets();
  for (const std::string& name : shim_socket_snapshot()) {
    std::string path = std::string(kShimSocketDir) + "/" + name;
    if (!own.empty() && starts_with(path, own)) {
      report.leaks.push_back("shim socket of the sandbox: " + path);
    } else if (!before.count(name) && !listening.count(path)) {
      // Another engineer's shim may come and go meanwhile, but its socket is listened on.
      report.leaks.push_back("stale socket that appeared during the test: " + path);
    }
  }
}

// A cgroup named after the sandbox, up to 4 levels below a hierarchy's root
// (/sys/fs/cgroup/memory/k8s.io/<id>, .../kubepods/burstable/pod<uid>/<id>).
void check_cgroups(const std::string& id, LeakReport& report) {
  namespace sfs = std::filesystem;
  std::error_code ec;
  for (const sfs::directory_entry& hierarchy : sfs::directory_iterator("/sys/fs/cgroup", ec)) {
    sfs::recursive_directory_iterator it(hierarchy.path(), ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      if (it->path().filename() == id) report.leaks.push_back("cgroup: " + it->path().string());
      if (it.depth() >= 3) it.disable_recursion_pending();
    }
  }
}

}  // namespace

bool mentions_id(std::string_view text, std::string_view id) {
  constexpr std::string_view kSeparators = " /,=:\t";
  for (size_t at = text.find(id); at != std::string_view::npos; at = text.find(id, at + 1)) {
    bool starts = at == 0 || kSeparators.find(text[at - 1]) != std::string_view::npos;
    size_t end = at + id.size();
    bool ends = end == text.size() || kSeparators.find(text[end]) != std::string_view::npos;
    if (starts && ends) return true;
  }
  return false;
}

std::string LeakReport::describe() const {
  std::string s;
  for (const std::string& l : leaks) s += "\n  leaked " + l;
  return s.empty() ? "nothing leaked" : s;
}

std::set<std::string> shim_socket_snapshot() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(kShimSocketDir, ec))
    names.insert(e.path().filename().string());
  return names;
}

std::string shim_socket_path(const std::string& containerd_address, const std::string& ns,
                             const std::string& id) {
  // filepath.Join cleans the path; our addresses are clean absolute paths already.
  std::string joined = containerd_address + "/" + ns + "/" + id;
  Result<CtrResult> r = run_captured({"sh", "-c", "printf %s \"$1\" | sha256sum", "sh", joined},
                                     std::chrono::seconds(10));
  if (!r || r->exit_code != 0 || r->out.size() < 64) return "";
  return std::string(kShimSocketDir) + "/" + r->out.substr(0, 64);
}

LeakReport check_sandbox_leaks(const std::string& id, const std::string& containerd_address,
                               const std::string& ns, const std::set<std::string>& sockets_before) {
  LeakReport report;
  for (const sys::ProcessMention& p : sys::processes_mentioning(id))
    if (mentions_id(p.cmdline, id))
      report.leaks.push_back(fmt::format("process {}: {}", p.pid, p.cmdline));
  check_mounts(id, report);
  for (const std::string& dir :
       {"/run/kata-containers/" + id, "/run/kata-containers/shared/sandboxes/" + id}) {
    if (fs::exists(dir)) report.leaks.push_back("directory: " + dir);
  }
  check_sockets(id, containerd_address, ns, sockets_before, report);
  check_cgroups(id, report);
  return report;
}

LeakReport wait_for_no_leaks(const std::string& id, const std::string& containerd_address,
                             const std::string& ns, const std::set<std::string>& sockets_before,
                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    LeakReport report = check_sandbox_leaks(id, containerd_address, ns, sockets_before);
    if (report.clean() || std::chrono::steady_clock::now() >= deadline) return report;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace kata::e2e
