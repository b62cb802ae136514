#include "agent/init/module_loader.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <system_error>

#include "agent/init/modules.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent {
namespace {

Result<void> load_module_file(const std::string& path, const std::string& params) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(errno, fmt_path("open", path));
  // glibc has no wrapper for finit_module.
  if (::syscall(SYS_finit_module, fd.get(), params.c_str(), 0) != 0 && errno != EEXIST) {
    return Error::from_errno(errno, fmt_path("finit_module", path));
  }
  return {};
}

// A module another thread is loading exists (finit_module says EEXIST, its
// initstate reads "coming") before its init ran: what it registers (a file
// system, a driver) is not there yet. Wait for "live".
Result<void> wait_until_live(const std::string& name) {
  const std::string state_path = "/sys/module/" + name + "/initstate";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    Result<std::string> state = fs::read_file(state_path);
    if (state && state->starts_with("live")) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Error(Code::kDeadlineExceeded, "module " + name + ": not live after 10 s");
}

std::string resolve(const std::string& modules_dir, const std::string& path) {
  return path.starts_with('/') ? path : modules_dir + "/" + path;
}

}  // namespace

Result<std::string> running_modules_dir() {
  utsname u{};
  if (::uname(&u) != 0) return Error::from_errno(errno, "uname");
  return std::string("/lib/modules/") + u.release;
}

Result<void> load_modules(const std::string& modules_dir, const std::vector<std::string>& names,
                          const std::map<std::string, std::string>& params) {
  if (names.empty()) return {};
  KATA_ASSIGN_OR_RETURN(std::string dep, fs::read_file(modules_dir + "/modules.dep"));
  // modules.builtin is optional: without it a built-in module reads as missing.
  Result<std::string> builtin = fs::read_file(modules_dir + "/modules.builtin");
  ModuleIndex index = parse_module_index(dep, builtin ? *builtin : std::string());
  KATA_ASSIGN_OR_RETURN(ModulePlan plan, plan_module_loads(index, names));

  for (const std::string& name : plan.builtin) log::debug("module {}: built into the kernel", name);
  std::optional<Error> first_error;
  for (const std::string& name : plan.missing) {
    log::warn("module {}: not in modules.dep, skipped", name);
    if (!first_error) first_error = Error(Code::kNotFound, "module " + name + ": not found");
  }
  for (const std::string& path : plan.load) {
    // Loaded already (a dependency of an earlier batch): finit_module would
    // read and check the whole file before saying EEXIST.
    const std::string name = module_name_from_path(path);
    if (fs::exists("/sys/module/" + name + "/initstate")) {
      Result<void> live = wait_until_live(name);
      if (!live && !first_error) first_error = std::move(live).error();
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    auto p = params.find(name);
    Result<void> loaded =
        load_module_file(resolve(modules_dir, path), p == params.end() ? "" : p->second);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    if (!loaded) {
      log::error("load module: {}", loaded.error().message());
      if (!first_error) first_error = std::move(loaded).error();
      continue;
    }
    log::debug("module {} loaded ({} ms)", name, ms);
    Result<void> live = wait_until_live(name);  // EEXIST: another thread loads it
    if (!live && !first_error) first_error = std::move(live).error();
  }
  if (first_error) return std::move(*first_error);
  return {};
}

Result<std::vector<std::string>> read_module_list(const std::string& list_path) {
  if (!fs::exists(list_path)) {
    log::debug("no module list `{}`, loading none", list_path);
    return std::vector<std::string>{};
  }
  KATA_ASSIGN_OR_RETURN(std::string text, fs::read_file(list_path));
  return parse_module_list(text);
}

BackgroundModuleLoad::BackgroundModuleLoad(std::string modules_dir,
                                           std::vector<std::string> names) {
  auto body = [this, dir = std::move(modules_dir), names = std::move(names)] {
    auto start = std::chrono::steady_clock::now();
    Result<void> r = load_modules(dir, names);
    if (!r) log::warn("background module load: {}", r.error().message());
    log::debug("background module load done ({} ms)",
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count());
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  };
  try {
    thread_ = std::thread(body);
  } catch (const std::system_error& e) {
    log::warn("background module load: no thread ({}), loading now", e.what());
    body();
  }
}

BackgroundModuleLoad::~BackgroundModuleLoad() {
  if (thread_.joinable()) thread_.join();
}

void BackgroundModuleLoad::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return done_; });
}

}  // namespace kata::agent
