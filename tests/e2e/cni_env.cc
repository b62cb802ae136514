#include "e2e/cni_env.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/fs.h"
#include "common/log.h"
#include "sys/subprocess.h"

namespace kata::e2e {
namespace {

constexpr const char* kConfDir = "/etc/cni/net.d";
constexpr const char* kBinDir = "/opt/cni/bin";
constexpr const char* kNetwork = "kata-e2e";
constexpr const char* kBridge = "kata-e2e0";

std::string conflist(const std::string& ipam_dir) {
  return std::string(R"({"cniVersion":"1.0.0","name":")") + kNetwork +
         R"(","plugins":[{"type":"bridge","bridge":")" + kBridge +
         R"(","isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","ranges":[[{"subnet":")" +
         kCniSubnet + R"("}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" + ipam_dir + R"("}}]})";
}

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

}  // namespace

Result<std::unique_ptr<CniEnv>> CniEnv::install(const std::string& state_dir) {
  if (!fs::exists(std::string(kCniPluginDir) + "/bridge")) {
    return Error(Code::kFailedPrecondition,
                 std::string("no CNI plugins in ") + kCniPluginDir +
                     " (Debian's containernetworking-plugins; scripts/setup installs it)");
  }
  std::unique_ptr<CniEnv> env(new CniEnv);
  env->ipam_dir_ = state_dir + "/cni-ipam";
  KATA_TRY(make_dirs(kConfDir, env->made_dirs_));
  KATA_TRY(make_dirs(kBinDir, env->made_dirs_));
  // Sorted first, so that ctr's default (the first file) is ours even if others are there.
  std::string conf = std::string(kConfDir) + "/00-" + kNetwork + ".conflist";
  if (fs::exists(conf)) return Error(Code::kAlreadyExists, conf + " exists: another run?");
  KATA_TRY(fs::write_file_atomic(conf, conflist(env->ipam_dir_)));
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
  (void)sys::run_capture({.argv = {"ip", "link", "del", kBridge}}, std::chrono::seconds(10));
}

std::string CniEnv::address_of(const std::string& id) const {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(ipam_dir_ + "/" + kNetwork, ec)) {
    Result<std::string> owner = fs::read_file(entry.path().string());
    if (owner && owner->find(id) != std::string::npos) return entry.path().filename().string();
  }
  return "";
}

}  // namespace kata::e2e
