#include "agent/container/device_filter.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "common/strings.h"
#include "common/unique_fd.h"

namespace kata::agent::container {
namespace {

// Registers of the program: R1 is the context on entry; the rest are ours.
constexpr uint8_t kCtx = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5, kRet = 0;
// Decided in this order; any order gives the same verdicts.
constexpr uint32_t kAccessBits[] = {BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE};

// A c or b rule in the program's terms.
struct Match {
  bool allow;
  uint32_t type;  // BPF_DEVCG_DEV_*
  std::optional<uint32_t> major, minor;
  uint32_t access;  // BPF_DEVCG_ACC_*
};

// What the rules amount to once every type `a` rule has reset what came before.
struct Effective {
  bool default_allow = false;
  std::vector<Match> rules;
};

Result<std::optional<uint32_t>> number(int64_t v, const std::string& what) {
  if (v < 0) return std::optional<uint32_t>();
  if (v > std::numeric_limits<uint32_t>::max())
    return Error(Code::kInvalidArgument, what + " " + std::to_string(v) + " is beyond 32 bits");
  return std::optional<uint32_t>(static_cast<uint32_t>(v));
}

Result<uint32_t> access_bits(const std::string& access, const std::string& what) {
  uint32_t bits = 0;
  for (char c : access) {
    switch (c) {
      case 'r':
        bits |= BPF_DEVCG_ACC_READ;
        break;
      case 'w':
        bits |= BPF_DEVCG_ACC_WRITE;
        break;
      case 'm':
        bits |= BPF_DEVCG_ACC_MKNOD;
        break;
      default:
        return Error(Code::kInvalidArgument, what + ": unknown access `" + access + "`");
    }
  }
  return bits;
}

Result<Effective> effective_rules(const std::vector<DeviceRule>& rules) {
  Effective e;
  for (size_t i = 0; i < rules.size(); ++i) {
    const DeviceRule& r = rules[i];
    std::string what = "device rule " + std::to_string(i);
    // As cgroup v1's devices.allow/deny and runc: `a` ignores major, minor and access.
    if (r.type == 'a') {
      e = Effective{r.allow, {}};
      continue;
    }
    Match m{r.allow, 0, {}, {}, 0};
    if (r.type == 'c' || r.type == 'u') {
      m.type = BPF_DEVCG_DEV_CHAR;
    } else if (r.type == 'b') {
      m.type = BPF_DEVCG_DEV_BLOCK;
    } else {
      return Error(Code::kInvalidArgument,
                   what + ": unknown type `" + std::string(1, r.type) + "`");
    }
    KATA_ASSIGN_OR_RETURN(m.major, number(r.major, what + ": major"));
    KATA_ASSIGN_OR_RETURN(m.minor, number(r.minor, what + ": minor"));
    KATA_ASSIGN_OR_RETURN(m.access, access_bits(r.access, what));
    // A rule with the default's verdict and none of the other before it
    // decides nothing: without it, the same default would. So a privileged
    // allow-all stays two instructions with the default devices after it.
    bool redundant = m.allow == e.default_allow &&
                     std::none_of(e.rules.begin(), e.rules.end(),
                                  [&](const Match& x) { return x.allow != m.allow; });
    if (!redundant) e.rules.push_back(m);
  }
  return e;
}

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn load_u32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, off, 0);
}
bpf_insn alu32(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Instructions with forward jumps to labels, resolved at the end.
class Assembler {
 public:
  int label() {
    targets_.push_back(-1);
    return static_cast<int>(targets_.size()) - 1;
  }
  void bind(int l) { targets_[l] = static_cast<int64_t>(insns_.size()); }
  void emit(bpf_insn i) { insns_.push_back(i); }
  void jump(bpf_insn i, int l) {
    fixups_.emplace_back(insns_.size(), l);
    insns_.push_back(i);
  }
  void ret(int32_t verdict) {
    emit(alu32(BPF_MOV, kRet, verdict));
    emit(exit_insn());
  }
  Result<std::vector<bpf_insn>> finish() && {
    for (auto [at, l] : fixups_) {
      int64_t off = targets_[l] - static_cast<int64_t>(at) - 1;
      if (off > std::numeric_limits<int16_t>::max())
        return Error(Code::kInvalidArgument, "too many device rules for one program");
      insns_[at].off = static_cast<int16_t>(off);
    }
    return std::move(insns_);
  }

 private:
  std::vector<bpf_insn> insns_;
  std::vector<int64_t> targets_;
  std::vector<std::pair<size_t, int>> fixups_;
};

// if (w<reg> != imm) goto l, comparing 32 bits: a u32 above INT32_MAX would
// not equal its sign-extended immediate in a 64-bit compare.
void jump_unless_equal(Assembler& a, uint8_t reg, uint32_t imm, int l) {
  a.jump(insn(BPF_JMP32 | BPF_JNE | BPF_K, reg, 0, 0, static_cast<int32_t>(imm)), l);
}

// The rules that name `bit`, last first; the first whose device matches decides.
void emit_access_section(Assembler& a, const Effective& e, uint32_t bit) {
  int next_section = a.label();
  a.emit(insn(BPF_ALU | BPF_MOV | BPF_X, kRet, kAccess, 0, 0));
  a.emit(alu32(BPF_AND, kRet, static_cast<int32_t>(bit)));
  a.jump(insn(BPF_JMP | BPF_JEQ | BPF_K, kRet, 0, 0, 0), next_section);  // not requested
  for (auto it = e.rules.rbegin(); it != e.rules.rend(); ++it) {
    if (!(it->access & bit)) continue;
    int next_rule = a.label();
    jump_unless_equal(a, kType, it->type, next_rule);
    if (it->major) jump_unless_equal(a, kMajor, *it->major, next_rule);
    if (it->minor) jump_unless_equal(a, kMinor, *it->minor, next_rule);
    if (it->allow) {
      a.jump(insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), next_section);
    } else {
      a.ret(0);
    }
    a.bind(next_rule);
  }
  if (!e.default_allow) a.ret(0);
  a.bind(next_section);
}

}  // namespace

std::vector<DeviceRule> with_default_device_rules(std::vector<DeviceRule> rules) {
  const DeviceRule defaults[] = {
      {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"}, {true, 'c', 1, 3, "rwm"},
      {true, 'c', 1, 8, "rwm"}, {true, 'c', 1, 7, "rwm"}, {true, 'c', 5, 0, "rwm"},
      {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 9, "rwm"}, {true, 'c', 136, -1, "rwm"},
      {true, 'c', 5, 2, "rwm"},
  };
  rules.insert(rules.end(), std::begin(defaults), std::end(defaults));
  return rules;
}

Result<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceRule>& rules) {
  KATA_ASSIGN_OR_RETURN(Effective e, effective_rules(rules));
  Assembler a;
  if (e.rules.empty()) {
    a.ret(e.default_allow ? 1 : 0);
    return std::move(a).finish();
  }
  // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, the
  // device type in access_type's low 16 bits and the access in its high 16.
  a.emit(load_u32(kType, 0));
  a.emit(alu32(BPF_AND, kType, 0xffff));
  a.emit(load_u32(kAccess, 0));
  a.emit(alu32(BPF_RSH, kAccess, 16));
  a.emit(load_u32(kMajor, 4));
  a.emit(load_u32(kMinor, 8));
  for (uint32_t bit : kAccessBits) emit_access_section(a, e, bit);
  a.ret(1);
  return std::move(a).finish();
}

namespace {

long sys_bpf(int cmd, bpf_attr& attr) { return ::syscall(__NR_bpf, cmd, &attr, sizeof(attr)); }

uint64_t ptr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

}  // namespace

// bpf() descriptors are close-on-exec already.
Result<UniqueFd> load_device_filter(const std::vector<bpf_insn>& program) {
  // Device programs call no helper at all, so no GPL-only one: runc's license.
  static const char kLicense[] = "Apache";
  std::string log;
  for (bool with_log : {false, true}) {
    bpf_attr a;
    std::memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = ptr(program.data());
    a.insn_cnt = static_cast<uint32_t>(program.size());
    a.license = ptr(kLicense);
    if (with_log) {
      // Only after a failure: a log that does not fit fails the load itself.
      log.assign(1 << 16, '\0');
      a.log_level = 1;
      a.log_buf = ptr(log.data());
      a.log_size = static_cast<uint32_t>(log.size());
    }
    long fd = sys_bpf(BPF_PROG_LOAD, a);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    int err = errno;
    // EINVAL and EACCES are the verifier's refusals; its log says why.
    if (with_log || (err != EINVAL && err != EACCES)) {
      std::string why = log.c_str();
      if (why.size() > 400) why = "..." + why.substr(why.size() - 400);
      return Error::from_errno(err, "load device filter" + (why.empty() ? "" : " (" + why + ")"));
    }
  }
  return Error(Code::kInternal, "load device filter");
}

namespace {

Result<std::vector<uint32_t>> attached_programs(int cgroup_fd) {
  std::vector<uint32_t> ids(64);
  bpf_attr a;
  std::memset(&a, 0, sizeof(a));
  a.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = ptr(ids.data());
  a.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (sys_bpf(BPF_PROG_QUERY, a) != 0) return Error::from_errno(errno, "query device filters");
  ids.resize(a.query.prog_cnt);
  return ids;
}

Result<void> detach_program(int cgroup_fd, uint32_t id) {
  bpf_attr get;
  std::memset(&get, 0, sizeof(get));
  get.prog_id = id;
  long fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, get);
  if (fd < 0 && errno == ENOENT) return {};
  if (fd < 0) return Error::from_errno(errno, "open device filter " + std::to_string(id));
  UniqueFd prog(static_cast<int>(fd));
  bpf_attr a;
  std::memset(&a, 0, sizeof(a));
  a.target_fd = static_cast<uint32_t>(cgroup_fd);
  a.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  a.attach_type = BPF_CGROUP_DEVICE;
  if (sys_bpf(BPF_PROG_DETACH, a) != 0 && errno != ENOENT)
    return Error::from_errno(errno, "detach device filter " + std::to_string(id));
  return {};
}

}  // namespace

Result<void> attach_device_filter(const std::string& cgroup_dir,
                                  const std::vector<bpf_insn>& program) {
  UniqueFd cgroup(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return Error::from_errno(errno, fmt_path("open", cgroup_dir));
  KATA_ASSIGN_OR_RETURN(std::vector<uint32_t> old, attached_programs(cgroup.get()));
  KATA_ASSIGN_OR_RETURN(UniqueFd prog, load_device_filter(program));
  bpf_attr a;
  std::memset(&a, 0, sizeof(a));
  a.target_fd = static_cast<uint32_t>(cgroup.get());
  a.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  a.attach_type = BPF_CGROUP_DEVICE;
  // MULTI: the new program joins the old ones until they are detached below.
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, a) != 0)
    return Error::from_errno(errno, fmt_path("attach device filter to", cgroup_dir));
  // The cgroup holds the attached program; our fd may close.
  for (uint32_t id : old) KATA_TRY(detach_program(cgroup.get(), id));
  return {};
}

}  // namespace kata::agent::container
