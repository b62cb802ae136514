#include "e2e/cni_env.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "e2e/cni_exec.h"
#include "sys/subprocess.h"

namespace kata::e2e {
namespace {

constexpr const char* kConfDir = "/etc/cni/net.d";
constexpr const char* kBinDir = "/opt/cni/bin";
constexpr const char* kNetwork = "kata-e2e";

// mkdir -p that remembers what it made, outermost first.
Result<void> make_dirs(const std::string& path, std::vector<std::string>& made) {
  std::vector<std::string> missing;
  for (std::filesystem::path p = path; !p.empty() && p != "/" && !fs::exists(p.string());
       p = p.parent_path())
    missing.push_back(p.string());
  std::reverse(missing.begin(), missing.end());
  for (const std::string& dir : missing) {
    KATA_TRY(fs::mkdir_all(dir));
    made.push_back(dir);
  }
  return {};
}

// portmap's shared chains in the host's nat table: made at its first ADD, never removed by
// it (other containers' mappings hang off them).
constexpr const char* kPortmapChains[] = {"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ",
                                          "CNI-HOSTPORT-SETMARK"};

Result<sys::CapturedOutput> iptables_nat(std::vector<std::string> args) {
  args.insert(args.begin(), {"iptables", "-w", "-t", "nat"});
  return sys::run_capture({.argv = std::move(args)}, std::chrono::seconds(30));
}

// Removes portmap's jumps from the built-in chains and its shared chains: what our ADDs
// made when the host had none of it before.
void remove_portmap_chains() {
  Result<sys::CapturedOutput> rules = iptables_nat({"-S"});
  if (!rules) return;
  for (const std::string& rule : split(rules->out, '\n')) {
    std::vector<std::string> words = split_quoted(rule, /*backslash_escapes=*/true);
    if (words.size() < 3 || words[0] != "-A" || !starts_with(words.back(), "CNI-HOSTPORT-"))
      continue;
    words[0] = "-D";
    (void)iptables_nat(words);
  }
  for (const char* chain : kPortmapChains) (void)iptables_nat({"-F", chain});
  for (const char* chain : kPortmapChains) (void)iptables_nat({"-X", chain});
}

}  // namespace

Result<std::unique_ptr<CniEnv>> CniEnv::install(const std::string& state_dir) {
  if (!fs::exists(std::string(kCniPluginDir) + "/bridge")) {
    return Error(Code::kFailedPrecondition,
                 std::string("no CNI plugins in ") + kCniPluginDir +
                     " (Debian's containernetworking-plugins; scripts/setup installs it)");
  }
  std::unique_ptr<CniEnv> env(new CniEnv);
  env->state_dir_ = state_dir;
  env->ipam_dir_ = state_dir + "/cni-ipam";
  env->conflist_ = cni::bridge_conflist(kNetwork, env->ipam_dir_);
  Result<sys::CapturedOutput> chain = iptables_nat({"-S", kPortmapChains[0]});
  env->owns_portmap_chains_ = chain && !chain->status.success();
  KATA_TRY(make_dirs(kConfDir, env->made_dirs_));
  KATA_TRY(make_dirs(kBinDir, env->made_dirs_));
  // Sorted first, so that ctr's default (the first file) is ours even if others are there.
  std::string conf = std::string(kConfDir) + "/00-" + kNetwork + ".conflist";
  if (fs::exists(conf)) return Error(Code::kAlreadyExists, conf + " exists: another run?");
  KATA_TRY(fs::write_file_atomic(conf, env->conflist_));
  env->made_files_.push_back(conf);
  for (const char* plugin : {"bridge", "host-local", "loopback", "portmap"}) {
    std::string link = std::string(kBinDir) + "/" + plugin;
    if (fs::exists(link)) continue;  // somebody's own plugins: used as they are
    std::string target = std::string(kCniPluginDir) + "/" + plugin;
    if (::symlink(target.c_str(), link.c_str()) != 0)
      return Error::from_errno(errno, "link " + link);
    env->made_files_.push_back(link);
  }
  return env;
}

CniEnv::~CniEnv() {
  for (const std::string& f : made_files_) (void)::unlink(f.c_str());
  for (auto it = made_dirs_.rbegin(); it != made_dirs_.rend(); ++it) (void)::rmdir(it->c_str());
  // The bridge plugin made the bridge in the host's namespace; nothing else deletes it.
  (void)sys::run_capture({.argv = {"ip", "link", "del", kCniBridge}}, std::chrono::seconds(10));
  if (owns_portmap_chains_) remove_portmap_chains();
}

std::string CniEnv::address_of(const std::string& id) const {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(ipam_dir_ + "/" + kNetwork, ec)) {
    Result<std::string> owner = fs::read_file(entry.path().string());
    if (owner && owner->find(id) != std::string::npos) return entry.path().filename().string();
  }
  return "";
}

Result<std::unique_ptr<CniNamespace>> CniEnv::add_namespace(const std::string& container_id,
                                                            const std::vector<PortMapping>& ports) {
  std::unique_ptr<CniNamespace> ns(new CniNamespace);
  ns->conflist_ = conflist_;
  ns->ports_ = ports;
  ns->container_id_ = container_id;
  ns->path_ = state_dir_ + "/netns/" + container_id;
  std::string what = "set up CNI namespace " + ns->path_;
  KATA_TRY(fs::mkdir_all(state_dir_ + "/netns").context(what));
  KATA_TRY(cni::make_netns(ns->path_).context(what));
  ns->mounted_ = true;
  // From here a failure leaves plugin state (a veth, a lease, iptables rules) that only a
  // DEL removes: the namespace's destructor runs it.
  ns->added_ = true;
  KATA_TRY(cni::add(cni::loopback_conflist(), {container_id, ns->path_, "lo"}, {}).context(what));
  KATA_ASSIGN_OR_RETURN(
      ns->result_json_,
      cni::add(conflist_, {container_id, ns->path_, "eth0"}, ports).context(what));
  KATA_ASSIGN_OR_RETURN(ns->result_, cni::parse_result(ns->result_json_, "eth0").context(what));
  return ns;
}

CniNamespace::~CniNamespace() {
  Result<void> removed = remove();
  if (!removed) log::warn("{}", removed.error().message());
}

Result<void> CniNamespace::remove() {
  if (removed_) return {};
  removed_ = true;
  Result<void> first;
  auto keep_first = [&first](Result<void> r) {
    if (!r && first) first = std::move(r).error();
  };
  if (added_) {
    keep_first(cni::del(conflist_, {container_id_, path_, "eth0"}, ports_, result_json_));
    keep_first(cni::del(cni::loopback_conflist(), {container_id_, path_, "lo"}, {}, ""));
  }
  if (mounted_) keep_first(cni::remove_netns(path_));
  return std::move(first).context("remove CNI namespace " + path_);
}

}  // namespace kata::e2e
