#include "agent/container/device_filter.h"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <tuple>

namespace kata::agent::container {
namespace {

// The kernel's verifier does not run on the host: this interprets the few
// opcodes the generator emits, the way the kernel's interpreter would, and
// fails the test on anything else, on a backward jump (the verifier refuses
// loops), on a read of a register never written, or on falling off the end.
std::optional<uint32_t> interpret(const std::vector<bpf_insn>& prog, uint32_t type, uint32_t access,
                                  uint32_t major, uint32_t minor) {
  const uint32_t ctx[3] = {type | (access << 16), major, minor};
  std::array<uint64_t, 11> reg{};
  std::array<bool, 11> set{};
  set[1] = true;  // R1: the context
  auto get = [&](int r) -> std::optional<uint64_t> {
    if (!set[r]) return std::nullopt;
    return reg[r];
  };
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    auto fail = [&](const std::string& what) {
      ADD_FAILURE() << what << " at instruction " << pc;
      return std::optional<uint32_t>();
    };
    auto jump = [&](bool taken) {
      EXPECT_GE(i.off, 0) << "backward jump at " << pc;
      if (taken) pc += i.off;
    };
    std::optional<uint64_t> dst = get(i.dst_reg), src = get(i.src_reg);
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        if (i.src_reg != 1 || i.off % 4 || i.off < 0 || i.off > 8)
          return fail("load outside the context");
        reg[i.dst_reg] = ctx[i.off / 4];
        set[i.dst_reg] = true;
        break;
      case BPF_ALU | BPF_MOV | BPF_K:
        reg[i.dst_reg] = static_cast<uint32_t>(i.imm);
        set[i.dst_reg] = true;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        if (!src) return fail("uninitialized R" + std::to_string(i.src_reg));
        reg[i.dst_reg] = static_cast<uint32_t>(*src);
        set[i.dst_reg] = true;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K: {
        if (!dst) return fail("uninitialized R" + std::to_string(i.dst_reg));
        uint32_t v = static_cast<uint32_t>(*dst), k = static_cast<uint32_t>(i.imm);
        reg[i.dst_reg] = (i.code & 0xf0) == BPF_AND ? (v & k) : (v >> k);
        break;
      }
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (!dst) return fail("uninitialized R" + std::to_string(i.dst_reg));
        jump(*dst == static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
        break;
      case BPF_JMP32 | BPF_JNE | BPF_K:
        if (!dst) return fail("uninitialized R" + std::to_string(i.dst_reg));
        jump(static_cast<uint32_t>(*dst) != static_cast<uint32_t>(i.imm));
        break;
      case BPF_JMP | BPF_JA:
        jump(true);
        break;
      case BPF_JMP | BPF_EXIT:
        if (!set[0]) return fail("exit without R0");
        return static_cast<uint32_t>(reg[0]);
      default:
        return fail("unexpected opcode " + std::to_string(i.code));
    }
  }
  ADD_FAILURE() << "fell off the end";
  return std::nullopt;
}

constexpr uint32_t kChar = BPF_DEVCG_DEV_CHAR, kBlock = BPF_DEVCG_DEV_BLOCK;
constexpr uint32_t kR = BPF_DEVCG_ACC_READ, kW = BPF_DEVCG_ACC_WRITE, kM = BPF_DEVCG_ACC_MKNOD;

struct Request {
  uint32_t type, access, major, minor;
  bool allowed;
};

struct Case {
  const char* name;
  std::vector<DeviceRule> rules;
  std::vector<Request> requests;
};

// containerd's default spec: deny everything; runc (and the agent) then append
// their defaults.
const DeviceRule kDenyAll{false, 'a', -1, -1, "rwm"};

TEST(DeviceFilter, Verdicts) {
  const Case cases[] = {
      {"no rules: deny all", {}, {{kChar, kR, 1, 3, false}, {kBlock, kM, 8, 0, false}}},
      {"privileged allow-all",
       {{true, 'a', -1, -1, "rwm"}},
       {{kChar, kR | kW, 4, 64, true}, {kBlock, kM, 8, 0, true}, {kChar, kM, 0, 0, true}}},
      {"wildcard major and minor for mknod only",
       {{true, 'c', -1, -1, "m"}},
       {{kChar, kM, 4, 64, true}, {kChar, kR, 4, 64, false}, {kBlock, kM, 8, 0, false}}},
      {"wildcard minor",
       {{true, 'c', 136, -1, "rwm"}},
       {{kChar, kR | kW, 136, 0, true}, {kChar, kR, 137, 0, false}, {kBlock, kR, 136, 0, false}}},
      {"an rw rule does not allow mknod",
       {{true, 'c', 1, 3, "rw"}},
       {{kChar, kM, 1, 3, false},
        {kChar, kR, 1, 3, true},
        {kChar, kR | kW, 1, 3, true},
        {kChar, kR | kM, 1, 3, false},
        {kChar, kR, 1, 4, false}}},
      {"deny after allow",
       {{true, 'c', -1, -1, "rwm"}, {false, 'c', 4, 64, "rwm"}},
       {{kChar, kR, 4, 64, false}, {kChar, kW, 4, 64, false}, {kChar, kR, 4, 65, true}}},
      {"allow after deny after allow-all",
       {{true, 'a', -1, -1, "rwm"}, {false, 'c', 4, -1, "rwm"}, {true, 'c', 4, 64, "r"}},
       {{kChar, kR, 4, 64, true},
        {kChar, kW, 4, 64, false},
        {kChar, kR | kW, 4, 64, false},
        {kChar, kR, 4, 65, false},
        {kChar, kW, 5, 0, true},
        {kBlock, kR, 4, 64, true}}},
      {"a partial deny refuses a request that names it",
       {{true, 'c', -1, -1, "rwm"}, {false, 'c', 1, 3, "w"}},
       {{kChar, kR | kW, 1, 3, false}, {kChar, kR, 1, 3, true}}},
      {"allows of separate accesses add up",
       {{true, 'c', 1, 3, "r"}, {true, 'c', 1, 3, "w"}},
       {{kChar, kR | kW, 1, 3, true}, {kChar, kM, 1, 3, false}}},
      {"type a resets what came before",
       {{true, 'c', 1, 3, "rwm"}, {false, 'a', 7, 7, "r"}, {true, 'b', 8, 0, "r"}},
       {{kChar, kR, 1, 3, false}, {kChar, kM, 1, 3, false}, {kBlock, kR, 8, 0, true}}},
      {"u is a char device; numbers up to 32 bits",
       {{true, 'u', 4294967295, 0, "r"}},
       {{kChar, kR, 4294967295u, 0, true}, {kChar, kR, 2147483647, 0, false}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::vector<bpf_insn>> prog = device_filter_program(c.rules);
    ASSERT_TRUE(prog) << prog.error().message();
    for (const Request& r : c.requests) {
      SCOPED_TRACE(testing::Message() << "type " << r.type << " access " << r.access << " "
                                      << r.major << ":" << r.minor);
      EXPECT_EQ(interpret(*prog, r.type, r.access, r.major, r.minor), r.allowed ? 1u : 0u);
    }
  }
}

TEST(DeviceFilter, ContainerdDefaultsWithTheAgentsDefaultDevices) {
  Result<std::vector<bpf_insn>> prog = device_filter_program(with_default_device_rules({kDenyAll}));
  ASSERT_TRUE(prog) << prog.error().message();
  auto allowed = [&](uint32_t type, uint32_t access, uint32_t major, uint32_t minor) {
    return interpret(*prog, type, access, major, minor) == 1u;
  };
  // null zero full random urandom tty ptmx, and the container's ptys.
  for (auto [major, minor] : {std::pair{1u, 3u},
                              {1u, 5u},
                              {1u, 7u},
                              {1u, 8u},
                              {1u, 9u},
                              {5u, 0u},
                              {5u, 2u},
                              {136u, 0u},
                              {136u, 7u}}) {
    EXPECT_TRUE(allowed(kChar, kR | kW, major, minor)) << major << ":" << minor;
    EXPECT_TRUE(allowed(kChar, kM, major, minor)) << major << ":" << minor;
  }
  // Any node may be made, as with runc; what matters is that it cannot be opened.
  EXPECT_TRUE(allowed(kChar, kM, 4, 64));
  EXPECT_TRUE(allowed(kBlock, kM, 254, 0));
  // The guest's serial console, its /dev/console, its disks, /dev/mem, /dev/kmsg.
  for (auto [type, major, minor] : {std::tuple{kChar, 4u, 64u},
                                    {kChar, 5u, 1u},
                                    {kBlock, 254u, 0u},
                                    {kChar, 1u, 1u},
                                    {kChar, 1u, 11u},
                                    {kChar, 10u, 200u}}) {
    EXPECT_FALSE(allowed(type, kW, major, minor)) << major << ":" << minor;
    EXPECT_FALSE(allowed(type, kR, major, minor)) << major << ":" << minor;
  }
}

TEST(DeviceFilter, EmptyRulesGiveTheDefaultDevicesOnly) {
  std::vector<DeviceRule> rules = with_default_device_rules({});
  EXPECT_EQ(rules.size(), 10u);
  Result<std::vector<bpf_insn>> prog = device_filter_program(rules);
  ASSERT_TRUE(prog);
  EXPECT_EQ(interpret(*prog, kChar, kR | kW, 1, 3), 1u);
  EXPECT_EQ(interpret(*prog, kChar, kW, 4, 64), 0u);
}

TEST(DeviceFilter, AllowAllIsTwoInstructions) {
  Result<std::vector<bpf_insn>> prog =
      device_filter_program(with_default_device_rules({{true, 'a', -1, -1, "rwm"}}));
  ASSERT_TRUE(prog);
  // The default devices' allows add nothing after an allow-all: dropped.
  EXPECT_EQ(prog->size(), 2u);
  EXPECT_EQ(interpret(*prog, kChar, kW, 4, 64), 1u);
}

TEST(DeviceFilter, RefusesBadRules) {
  const std::vector<DeviceRule> bad[] = {
      {{true, 'p', 1, 3, "rwm"}},
      {{true, 'c', 1, 3, "rx"}},
      {{true, 'c', 4294967296, 0, "r"}},
      {{true, 'b', 8, 4294967296, "r"}},
  };
  for (const auto& rules : bad) {
    Result<std::vector<bpf_insn>> prog = device_filter_program(rules);
    ASSERT_FALSE(prog);
    EXPECT_EQ(prog.error().code(), Code::kInvalidArgument) << prog.error().message();
  }
}

}  // namespace
}  // namespace kata::agent::container
