#include "agent/container/seccomp.h"

#include <seccomp.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

namespace kata::agent::container {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Error seccomp_error(int rc, std::string_view what) {
  return Error::from_errno(-rc, "seccomp: " + std::string(what));
}

Result<uint32_t> action(const std::string& name, std::optional<uint32_t> errno_ret) {
  uint32_t err = errno_ret.value_or(EPERM);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(err);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return Error(Code::kUnimplemented, "seccomp action `" + name + "` is not supported");
}

Result<scmp_compare> compare_op(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return Error(Code::kInvalidArgument, "unknown seccomp operator `" + op + "`");
}

Result<void> add_architectures(void* ctx, const std::vector<std::string>& archs) {
  for (const std::string& a : archs) {
    std::string name = a.rfind("SCMP_ARCH_", 0) == 0 ? a.substr(10) : a;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    if (token == 0) continue;  // an architecture libseccomp cannot filter for
    int rc = seccomp_arch_add(ctx, token);
    if (rc != 0 && rc != -EEXIST) return seccomp_error(rc, "add architecture " + a);
  }
  return {};
}

Result<void> add_rule(void* ctx, uint32_t default_action, const SeccompRule& rule) {
  KATA_ASSIGN_OR_RETURN(uint32_t act, action(rule.action, rule.errno_ret));
  if (act == default_action) return {};  // libseccomp refuses such rules; they change nothing
  std::vector<scmp_arg_cmp> args;
  for (const SeccompArg& a : rule.args) {
    KATA_ASSIGN_OR_RETURN(scmp_compare op, compare_op(a.op));
    args.push_back({a.index, op, a.value, a.value_two});
  }
  for (const std::string& name : rule.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    int rc = seccomp_rule_add_array(ctx, act, nr, static_cast<unsigned>(args.size()), args.data());
    if (rc != 0) return seccomp_error(rc, "add rule for " + name);
  }
  return {};
}

}  // namespace

Result<void> load_seccomp(const Seccomp& profile) {
  KATA_ASSIGN_OR_RETURN(uint32_t default_action,
                        action(profile.default_action, profile.default_errno_ret));
  Ctx ctx(seccomp_init(default_action));
  if (!ctx) return Error(Code::kInternal, "seccomp: init failed");
  // The caller decides about no_new_privs (see seccomp.h).
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc != 0) return seccomp_error(rc, "clear NNP attribute");
  for (const std::string& flag : profile.flags) {
    if (flag == "SECCOMP_FILTER_FLAG_LOG") {
      rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_LOG, 1);
    } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_SSB, 1);
    } else if (flag != "SECCOMP_FILTER_FLAG_TSYNC") {  // the init is single-threaded
      return Error(Code::kUnimplemented, "seccomp flag `" + flag + "` is not supported");
    }
    if (rc != 0) return seccomp_error(rc, "set flag " + flag);
  }
  KATA_TRY(add_architectures(ctx.get(), profile.architectures));
  for (const SeccompRule& rule : profile.rules) KATA_TRY(add_rule(ctx.get(), default_action, rule));
  rc = seccomp_load(ctx.get());
  if (rc != 0) return seccomp_error(rc, "load filter");
  return {};
}

}  // namespace kata::agent::container
