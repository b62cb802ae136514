// The rules of validate.cc at their edges: each value runc 1.1.5 still accepts is accepted, and
// the one just past it is refused with the exact message (docs/oci.md, "What is refused").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "oci/oci.h"

namespace kata::oci {
namespace {

using Json = nlohmann::json;

// All the namespaces a sysctl may need; each case removes the ones it is about.
const char* kBase = R"({"root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
    "linux": {"namespaces": [{"type": "ipc"}, {"type": "network"}, {"type": "uts"}]}})";

std::string base_with(const std::string& patch) {
  Json doc = Json::parse(kBase);
  doc.merge_patch(Json::parse(patch));
  return doc.dump();
}

struct EdgeCase {
  const char* name;
  std::string accepted;  // a JSON merge patch of kBase that must parse
  std::string refused;   // one just past the edge
  const char* error;     // the whole message after "parse OCI spec: "
};

void PrintTo(const EdgeCase& c, std::ostream* os) { *os << c.name; }

class OciValidateEdge : public ::testing::TestWithParam<EdgeCase> {};

TEST_P(OciValidateEdge, AcceptsTheEdgeAndRefusesOnePast) {
  const EdgeCase& c = GetParam();
  Result<grpc::Spec> ok = parse_spec(base_with(c.accepted));
  EXPECT_TRUE(ok.ok()) << (ok.ok() ? "" : ok.error().message());
  Result<grpc::Spec> bad = parse_spec(base_with(c.refused));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), std::string("parse OCI spec: ") + c.error);
}

std::string user(const std::string& body) { return R"({"process": {"user": )" + body + "}}"; }

INSTANTIATE_TEST_SUITE_P(
    Ids, OciValidateEdge,
    ::testing::Values(
        EdgeCase{"Uid", user(R"({"uid": 2147483647})"), user(R"({"uid": 2147483648})"),
                 "process.user.uid: 2147483648 is out of range: uids and gids must be in range "
                 "0-2147483647"},
        EdgeCase{"UidMinusOneSentinel", user(R"({"uid": 0})"), user(R"({"uid": 4294967295})"),
                 "process.user.uid: 4294967295 is out of range: uids and gids must be in range "
                 "0-2147483647"},
        EdgeCase{"Gid", user(R"({"gid": 2147483647})"), user(R"({"gid": 2147483648})"),
                 "process.user.gid: 2147483648 is out of range: uids and gids must be in range "
                 "0-2147483647"},
        EdgeCase{"AdditionalGids", user(R"({"additionalGids": [0, 2147483647]})"),
                 user(R"({"additionalGids": [0, 4294967295]})"),
                 "process.user.additionalGids[1]: 4294967295 is out of range: uids and gids "
                 "must be in range 0-2147483647"}),
    [](const auto& info) { return std::string(info.param.name); });

std::string nofile(int soft, int hard) {
  return R"({"process": {"rlimits": [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
      {"type": "RLIMIT_NOFILE", "soft": )" +
         std::to_string(soft) + R"(, "hard": )" + std::to_string(hard) + "}]}}";
}

INSTANTIATE_TEST_SUITE_P(
    Rlimits, OciValidateEdge,
    ::testing::Values(
        EdgeCase{"NofileSoft", nofile(7, 1024), nofile(6, 1024),
                 "process.rlimits[1].soft: RLIMIT_NOFILE 6 is below 7: too few open files to "
                 "start the process"},
        EdgeCase{"NofileZero", nofile(7, 7), nofile(0, 0),
                 "process.rlimits[1].soft: RLIMIT_NOFILE 0 is below 7: too few open files to "
                 "start the process"},
        EdgeCase{"SoftAboveHard", nofile(1024, 1024), nofile(1025, 1024),
                 "process.rlimits[1]: soft limit 1025 is above hard limit 1024"}),
    [](const auto& info) { return std::string(info.param.name); });

std::string sysctl(const std::string& key, const std::string& namespaces = "") {
  std::string patch = R"({"linux": {"sysctl": {")" + key + R"(": "1"})";
  if (!namespaces.empty()) patch += R"(, "namespaces": )" + namespaces;
  return patch + "}}";
}

const char* kNoIpc = R"([{"type": "network"}, {"type": "uts"}])";
const char* kNoNet = R"([{"type": "ipc"}, {"type": "uts"}])";
const char* kNoUts = R"([{"type": "ipc"}, {"type": "network"}])";

INSTANTIATE_TEST_SUITE_P(
    Sysctls, OciValidateEdge,
    ::testing::Values(
        EdgeCase{"IpcNeedsIpcNamespace", sysctl("kernel.shmmax"), sysctl("kernel.shmmax", kNoIpc),
                 "linux.sysctl: sysctl \"kernel.shmmax\" is not allowed in the hosts ipc "
                 "namespace"},
        EdgeCase{"IpcNamespaceByPath",
                 sysctl("kernel.shm_rmid_forced", R"([{"type": "ipc", "path": "/proc/9/ns/ipc"}])"),
                 sysctl("kernel.shm_rmid_forced", "[]"),
                 "linux.sysctl: sysctl \"kernel.shm_rmid_forced\" is not allowed in the hosts ipc "
                 "namespace"},
        EdgeCase{"Mqueue", sysctl("fs.mqueue.msg_max"), sysctl("fs.mqueue.msg_max", kNoIpc),
                 "linux.sysctl: sysctl \"fs.mqueue.msg_max\" is not allowed in the hosts ipc "
                 "namespace"},
        EdgeCase{"MqueueIsAPrefixWithADot", sysctl("fs.mqueue.queues_max"), sysctl("fs.mqueue"),
                 "linux.sysctl: sysctl \"fs.mqueue\" is not in a separate kernel namespace"},
        EdgeCase{"NetNeedsNetworkNamespace", sysctl("net.ipv4.ip_forward"),
                 sysctl("net.ipv4.ip_forward", kNoNet),
                 "linux.sysctl: sysctl \"net.ipv4.ip_forward\" not allowed in host network "
                 "namespace"},
        EdgeCase{"NetNamespaceByPath",
                 sysctl("net.core.somaxconn",
                        R"([{"type": "network", "path": "/var/run/netns/cni-1"}])"),
                 sysctl("net", R"([{"type": "network"}])"),
                 "linux.sysctl: sysctl \"net\" is not in a separate kernel namespace"},
        EdgeCase{"DomainnameNeedsUts", sysctl("kernel.domainname"),
                 sysctl("kernel.domainname", kNoUts),
                 "linux.sysctl: sysctl \"kernel.domainname\" is not in a separate kernel "
                 "namespace"},
        EdgeCase{"HostnameConflicts", sysctl("kernel.domainname"), sysctl("kernel.hostname"),
                 "linux.sysctl: sysctl \"kernel.hostname\" is not allowed as it conflicts with the "
                 "OCI \"hostname\" field"},
        EdgeCase{"PanicOnOops", sysctl("kernel.msgmax"), sysctl("kernel.panic_on_oops"),
                 "linux.sysctl: sysctl \"kernel.panic_on_oops\" is not in a separate kernel "
                 "namespace"},
        EdgeCase{"Sysrq", sysctl("kernel.sem"), sysctl("kernel.sysrq"),
                 "linux.sysctl: sysctl \"kernel.sysrq\" is not in a separate kernel namespace"},
        EdgeCase{"DropCaches", sysctl("net.ipv6.conf.all.forwarding"), sysctl("vm.drop_caches"),
                 "linux.sysctl: sysctl \"vm.drop_caches\" is not in a separate kernel namespace"}),
    [](const auto& info) { return std::string(info.param.name); });

std::string resources(const std::string& body) {
  return R"({"linux": {"resources": )" + body + "}}";
}

INSTANTIATE_TEST_SUITE_P(
    Memory, OciValidateEdge,
    ::testing::Values(
        EdgeCase{"LimitNegative", resources(R"({"memory": {"limit": -1}})"),
                 resources(R"({"memory": {"limit": -2}})"),
                 "linux.resources.memory.limit: -2 is negative (only -1, for no limit, is)"},
        EdgeCase{"ReservationNegative", resources(R"({"memory": {"reservation": -1}})"),
                 resources(R"({"memory": {"reservation": -2}})"),
                 "linux.resources.memory.reservation: -2 is negative (only -1, for no limit, is)"},
        EdgeCase{"SwapNegative", resources(R"({"memory": {"swap": -1}})"),
                 resources(R"({"memory": {"swap": -9223372036854775808}})"),
                 "linux.resources.memory.swap: -9223372036854775808 is negative (only -1, for no "
                 "limit, is)"},
        EdgeCase{"LimitMinimum", resources(R"({"memory": {"limit": 6291456}})"),
                 resources(R"({"memory": {"limit": 6291455}})"),
                 "linux.resources.memory.limit: memory limit 6291455 is below the minimum 6291456 "
                 "(6 MiB)"},
        EdgeCase{"LimitOne", resources(R"({"memory": {"limit": 0}})"),
                 resources(R"({"memory": {"limit": 1}})"),
                 "linux.resources.memory.limit: memory limit 1 is below the minimum 6291456 (6 "
                 "MiB)"},
        EdgeCase{"SwapBelowLimit",
                 resources(R"({"memory": {"limit": 10000000, "swap": 10000000}})"),
                 resources(R"({"memory": {"limit": 10000000, "swap": 9999999}})"),
                 "linux.resources.memory.swap: memory+swap limit 9999999 should be >= memory "
                 "limit 10000000"},
        EdgeCase{"SwapWithoutLimit", resources(R"({"memory": {"limit": -1, "swap": -1}})"),
                 resources(R"({"memory": {"limit": -1, "swap": 10000000}})"),
                 "linux.resources.memory.swap: unable to set swap limit without memory limit"},
        EdgeCase{"Swappiness", resources(R"({"memory": {"swappiness": 100}})"),
                 resources(R"({"memory": {"swappiness": 101}})"),
                 "linux.resources.memory.swappiness: invalid memory swappiness value: 101 (valid "
                 "range is 0-100)"},
        EdgeCase{"SwappinessMinusOneAsGoReadsIt",
                 resources(R"({"memory": {"swappiness": 18446744073709551615}})"),
                 resources(R"({"memory": {"swappiness": 18446744073709551614}})"),
                 "linux.resources.memory.swappiness: invalid memory swappiness value: "
                 "18446744073709551614 (valid range is 0-100)"}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Cpu, OciValidateEdge,
    ::testing::Values(
        EdgeCase{"SharesMinimum", resources(R"({"cpu": {"shares": 2}})"),
                 resources(R"({"cpu": {"shares": 1}})"),
                 "linux.resources.cpu.shares: the minimum allowed cpu-shares is 2, got 1"},
        EdgeCase{"SharesMaximum", resources(R"({"cpu": {"shares": 262144}})"),
                 resources(R"({"cpu": {"shares": 262145}})"),
                 "linux.resources.cpu.shares: the maximum allowed cpu-shares is 262144, got "
                 "262145"},
        EdgeCase{"QuotaMinimum", resources(R"({"cpu": {"quota": 1000, "period": 100000}})"),
                 resources(R"({"cpu": {"quota": 999, "period": 100000}})"),
                 "linux.resources.cpu.quota: 999 is below the minimum 1000 (microseconds; -1 for "
                 "no limit)"},
        EdgeCase{"QuotaNegativeIsNoLimit", resources(R"({"cpu": {"quota": -2}})"),
                 resources(R"({"cpu": {"quota": 1}})"),
                 "linux.resources.cpu.quota: 1 is below the minimum 1000 (microseconds; -1 for "
                 "no limit)"},
        EdgeCase{"PeriodMinimum", resources(R"({"cpu": {"period": 1000}})"),
                 resources(R"({"cpu": {"period": 999}})"),
                 "linux.resources.cpu.period: 999 is out of range 1000-1000000 (microseconds)"},
        EdgeCase{"PeriodMaximum", resources(R"({"cpu": {"period": 1000000}})"),
                 resources(R"({"cpu": {"period": 1000001}})"),
                 "linux.resources.cpu.period: 1000001 is out of range 1000-1000000 "
                 "(microseconds)"}),
    [](const auto& info) { return std::string(info.param.name); });

// Unset (0) is not a value: a spec without limits, and pids limits of any sign (runc writes
// "max" for a negative one), are accepted.
TEST(OciValidate, UnsetAndPidsAreAccepted) {
  for (const char* patch :
       {R"({"linux": {"resources": {"memory": {}, "cpu": {}, "pids": {"limit": -2}}}})",
        R"({"linux": {"resources": {"pids": {"limit": 0}}, "sysctl": {}}})"}) {
    Result<grpc::Spec> spec = parse_spec(base_with(patch));
    EXPECT_TRUE(spec.ok()) << patch << ": " << (spec.ok() ? "" : spec.error().message());
  }
}

// Exec processes and updates go through the same rules, with their own paths; an update is
// merged with the container's limits, so swap alone is not "swap without a limit".
TEST(OciValidate, ExecProcessesAndUpdates) {
  Result<grpc::Process> p =
      parse_process(R"({"args": ["id"], "cwd": "/", "user": {"uid": 4294967295}})");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            "parse OCI process: user.uid: 4294967295 is out of range: uids and gids must be in "
            "range 0-2147483647");
  EXPECT_TRUE(parse_process(R"({"args": ["id"], "cwd": "/", "user": {"uid": 2147483647}})").ok());

  Result<grpc::LinuxResources> r = parse_resources(R"({"memory": {"limit": -2}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "parse OCI resources: memory.limit: -2 is negative (only -1, for no limit, is)");
  EXPECT_TRUE(parse_resources(R"({"memory": {"swap": 10000000}})").ok());
  Result<grpc::LinuxResources> below = parse_resources(R"({"memory": {"limit": 20000000,
      "swap": 10000000}, "cpu": {"shares": 1}})");
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.error().message(),
            "parse OCI resources: memory.swap: memory+swap limit 10000000 should be >= memory "
            "limit 20000000");
}

// The prefix of kBase up to where a value of annotation "a" goes: two levels deep already.
const std::string kDeepHead =
    R"({"root": {"path": "r"}, "process": {"args": ["sh"], "cwd": "/"}, "annotations": {"a": )";

std::string nested(size_t arrays) {
  return kDeepHead + std::string(arrays, '[') + std::string(arrays, ']') + "}}";
}

TEST(OciValidate, NestingIsBoundedBeforeDecoding) {
  // 1000 levels in all: decoded, and refused for its type.
  Result<grpc::Spec> edge = parse_spec(nested(998));
  ASSERT_FALSE(edge.ok());
  EXPECT_EQ(edge.error().message(),
            "parse OCI spec: annotations[\"a\"]: expected a string, got an array");
  // One more level, and 100,000 (which overflowed the stack when the error printed the value).
  for (size_t arrays : {999u, 100000u}) {
    Result<grpc::Spec> deep = parse_spec(nested(arrays));
    ASSERT_FALSE(deep.ok());
    EXPECT_EQ(deep.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(deep.error().message(),
              "parse OCI spec: invalid JSON: nested deeper than 1000 levels at byte " +
                  std::to_string(kDeepHead.size() + 998));
  }
  // Exec's process and Update's resources are decoded the same way.
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  Result<grpc::Process> p = parse_process(R"({"args": )" + deep + "}");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            "parse OCI process: invalid JSON: nested deeper than 1000 levels at byte 1008");
  Result<grpc::LinuxResources> r = parse_resources(R"({"x": )" + deep + "}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "parse OCI resources: invalid JSON: nested deeper than 1000 levels at byte 1005");
}

// Brackets inside strings, escaped quotes included, are text, not nesting.
TEST(OciValidate, BracketsInStringsAreNotNesting) {
  std::string brackets(5000, '[');
  std::string text = kDeepHead + "\"\\\"" + brackets + "\\\\\"}, \"hostname\": \"" +
                     std::string(5000, '{') + "\"}";
  Result<grpc::Spec> spec = parse_spec(text);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->annotations().at("a"), "\"" + brackets + "\\");
  EXPECT_EQ(spec->hostname().size(), 5000u);
}

}  // namespace
}  // namespace kata::oci
