#include "oci/oci.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/fs.h"
#include "oci/json_codec.h"

namespace kata::oci {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string testdata(const std::string& name) {
  Result<std::string> text = fs::read_file(std::string(KATA_OCI_TESTDATA) + "/" + name);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? *text : "";
}

// What proto3 cannot tell from absent (false, 0, "", [], {}) is dropped, recursively, so that
// an input and its round trip compare equal exactly when no value was lost or changed.
Json strip_defaults(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) {
      Json s = strip_defaults(v);
      bool empty = s.is_null() || (s.is_boolean() && !s.get<bool>()) || (s.is_number() && s == 0) ||
                   (s.is_string() && s.get<std::string>().empty()) || (s.is_array() && s.empty());
      if (!empty) out[k] = s;
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(strip_defaults(v));
    return out;
  }
  return j;
}

Json round_trip(const std::string& text) {
  Result<grpc::Spec> spec = parse_spec(text);
  EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.error().message());
  return spec.ok() ? Json::parse(to_json(*spec)) : Json();
}

// `ctr oci spec` prints containerd's default spec, a template without process.args (`ctr run`
// adds them): it must be refused as is and round-trip once it has them.
TEST(OciSpec, CtrOciSpecTemplateNeedsArgs) {
  Result<grpc::Spec> spec = parse_spec(testdata("ctr_oci_spec.json"));
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(spec.error().message(), "parse OCI spec: process.args: must not be empty");
}

TEST(OciSpec, RealSpecsRoundTrip) {
  for (const char* name :
       {"ctr_oci_spec.json", "ctr_run_spec.json", "runc_spec.json", "full_spec.json"}) {
    SCOPED_TRACE(name);
    Json original = Json::parse(testdata(name));
    original["process"]["args"] = Json::array({"/bin/sh"});
    EXPECT_EQ(strip_defaults(round_trip(original.dump())), strip_defaults(original));
  }
}

// The check above would miss nothing: a key the decoder does not know makes them differ.
TEST(OciSpec, RoundTripCheckSeesALostField) {
  Json original = Json::parse(testdata("full_spec.json"));
  original["process"]["ioPriority"] = Json{{"class", "IOPRIO_CLASS_RT"}};
  EXPECT_NE(strip_defaults(round_trip(original.dump())), strip_defaults(original));
}

TEST(OciSpec, FullSpecValues) {
  Result<grpc::Spec> spec = parse_spec(testdata("full_spec.json"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->process().user().gid(), 2147483647u);  // the largest id runc accepts
  EXPECT_TRUE(spec->process().user().has_umask());       // 0 is a umask, not "unset"
  EXPECT_EQ(spec->process().rlimits(1).hard(), 18446744073709551615u);
  EXPECT_EQ(spec->process().oomscoreadj(), -999);
  EXPECT_EQ(spec->linux().resources().memory().limit(), 9223372036854775807);
  EXPECT_EQ(spec->linux().resources().memory().swap(), -1);
  EXPECT_EQ(spec->linux().resources().unified().at("memory.high"), "1073741824");
  EXPECT_EQ(spec->linux().seccomp().defaulterrnoret(), 38u);
  EXPECT_TRUE(spec->linux().seccomp().syscalls(2).has_errnoret());  // errnoRet 0 is kept
  EXPECT_FALSE(spec->linux().seccomp().syscalls(0).has_errnoret());
  EXPECT_EQ(spec->domainname(), "example.org");
  EXPECT_EQ(spec->hooks().prestart(0).timeout(), 5);
}

const char* kMinimal = R"({"root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"}})";

// kMinimal with `patch` merged in (RFC 7386: null deletes a key).
std::string minimal_with(const char* patch) {
  Json doc = Json::parse(kMinimal);
  doc.merge_patch(Json::parse(patch));
  return doc.dump();
}

TEST(OciSpec, UnknownFieldsAreIgnored) {
  std::string deep(100000, '[');  // a hostile nesting depth, inside a key nobody reads
  std::string text = minimal_with(R"({"x-vendor": {"a": [1, {"b": null}]},
      "process": {"Args": 5, "ioPriority": {"class": "IOPRIO_CLASS_RT"}},
      "linux": {"personality": {"domain": "LINUX"}}, "windows": {"layerFolders": ["C:\\"]}})");
  Result<grpc::Spec> spec = parse_spec(text);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->process().args(0), "sh");
  // Nesting the parser must survive without a stack overflow; it is not valid JSON anyway.
  EXPECT_FALSE(parse_spec(R"({"x": )" + deep).ok());
}

TEST(OciSpec, NullMeansAbsent) {
  Result<grpc::Spec> spec = parse_spec(
      minimal_with(R"({"hooks": null, "linux": {"seccomp": null, "sysctl": {"a": null}}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_FALSE(spec->has_hooks());
  EXPECT_FALSE(spec->linux().has_seccomp());
  EXPECT_TRUE(spec->linux().sysctl().empty());
}

// A device cgroup rule without major or minor matches any: -1 on the wire (upstream's agent
// reads it so), while 0 is a real number.
TEST(OciSpec, DeviceCgroupWildcardsAreMinusOne) {
  Result<grpc::Spec> spec = parse_spec(minimal_with(R"({"linux": {"resources": {"devices": [
      {"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 136},
      {"allow": true, "type": "c", "major": 5, "minor": 0}, {"type": "c", "major": null}]}}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  const auto& devices = spec->linux().resources().devices();
  EXPECT_EQ(devices[0].major(), -1);
  EXPECT_EQ(devices[0].minor(), -1);
  EXPECT_EQ(devices[1].major(), 136);
  EXPECT_EQ(devices[1].minor(), -1);
  EXPECT_EQ(devices[2].minor(), 0);
  EXPECT_EQ(devices[3].major(), -1);
  Json back = Json::parse(to_json(*spec))["linux"]["resources"]["devices"];
  EXPECT_EQ(back[0], Json::parse(R"({"access": "rwm"})"));
  EXPECT_EQ(back[2], Json::parse(R"({"allow": true, "type": "c", "major": 5, "minor": 0})"));
}

struct BadCase {
  const char* name;
  std::string json;
  const char* error;  // the whole message after "parse OCI spec: "
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class OciSpecRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(OciSpecRejects, WithAClearMessage) {
  Result<grpc::Spec> spec = parse_spec(GetParam().json);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(spec.error().message(), std::string("parse OCI spec: ") + GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, OciSpecRejects,
    ::testing::Values(
        BadCase{"Empty", "",
                "invalid JSON at line 1, column 1: syntax error while parsing value - unexpected "
                "end of input; expected '[', '{', or a literal"},
        BadCase{"NotJson", "hello",
                "invalid JSON at line 1, column 1: syntax error while parsing value - invalid "
                "literal; last read: 'h'"},
        BadCase{"Truncated", R"({"root": {"path": "rootfs"}, "process": {"args": ["sh")",
                "invalid JSON at line 1, column 55: syntax error while parsing array - unexpected "
                "end of input; expected ']'"},
        BadCase{"NotUtf8", "{\"hostname\": \"\xff\"}",
                "invalid JSON at line 1, column 15: syntax error while parsing value - invalid "
                "string: ill-formed UTF-8 byte; last read: '\"\xff'"},
        BadCase{"TopLevelArray", "[1]", "the document: expected an object, got an array"}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Types, OciSpecRejects,
    ::testing::Values(
        BadCase{"UidString", minimal_with(R"({"process": {"user": {"uid": "0"}}})"),
                "process.user.uid: expected an unsigned 32-bit integer, got string \"0\""},
        BadCase{"UidNegative", minimal_with(R"({"process": {"user": {"uid": -1}}})"),
                "process.user.uid: -1 is out of range for an unsigned 32-bit integer"},
        BadCase{"UidTooBig", minimal_with(R"({"process": {"user": {"uid": 4294967296}}})"),
                "process.user.uid: 4294967296 is out of range for an unsigned 32-bit integer"},
        BadCase{"GidFraction", minimal_with(R"({"process": {"user": {"gid": 1.5}}})"),
                "process.user.gid: expected an unsigned 32-bit integer, got number 1.5"},
        BadCase{"GidsNotArray", minimal_with(R"({"process": {"user": {"additionalGids": 5}}})"),
                "process.user.additionalGids: expected an array, got number 5"},
        BadCase{"GidsElement",
                minimal_with(R"({"process": {"user": {"additionalGids": [5, "x"]}}})"),
                "process.user.additionalGids[1]: expected an unsigned 32-bit integer, got string "
                "\"x\""},
        BadCase{"ArgsString", minimal_with(R"({"process": {"args": "sh"}})"),
                "process.args: expected an array, got string \"sh\""},
        BadCase{"TerminalString", minimal_with(R"({"process": {"terminal": "true"}})"),
                "process.terminal: expected a boolean, got string \"true\""},
        BadCase{
            "RlimitHardNegative",
            minimal_with(R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": -1}]}})"),
            "process.rlimits[0].hard: -1 is out of range for an unsigned 64-bit integer"},
        BadCase{
            "MemoryLimitTooBig",
            minimal_with(R"({"linux": {"resources": {"memory": {"limit": 9223372036854775808}}}})"),
            "linux.resources.memory.limit: 9223372036854775808 is out of range for a 64-bit "
            "integer"},
        BadCase{"MemoryLimitExponent",
                minimal_with(R"({"linux": {"resources": {"memory": {"limit": 1e9}}}})"),
                "linux.resources.memory.limit: expected a 64-bit integer, got number 1000000000.0"},
        BadCase{"CapabilitiesNotObject",
                minimal_with(R"({"process": {"capabilities": ["CAP_KILL"]}})"),
                "process.capabilities: expected an object, got an array"},
        BadCase{"AnnotationNumber", minimal_with(R"({"annotations": {"a": 1}})"),
                "annotations[\"a\"]: expected a string, got number 1"},
        BadCase{"SysctlNotObject", minimal_with(R"({"linux": {"sysctl": ["a=b"]}})"),
                "linux.sysctl: expected an object, got an array"},
        BadCase{"ErrnoRetNegative",
                minimal_with(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{"names": ["a"], "action": "ERRNO", "errnoRet": -1}]}}})"),
                "linux.seccomp.syscalls[0].errnoRet: -1 is out of range for an unsigned 32-bit "
                "integer"},
        BadCase{"ConsoleSizeString",
                minimal_with(R"({"process": {"consoleSize": {"height": "24"}}})"),
                "process.consoleSize.height: expected an unsigned 32-bit integer, got string "
                "\"24\""}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Semantics, OciSpecRejects,
    ::testing::Values(
        BadCase{"NoRoot", R"({"process": {"args": ["sh"], "cwd": "/"}})",
                "root.path: must not be empty"},
        BadCase{"EmptyRootPath", minimal_with(R"({"root": {"path": ""}})"),
                "root.path: must not be empty"},
        BadCase{"NoProcess", minimal_with(R"({"process": null})"), "process: must be set"},
        BadCase{"NoArgs", minimal_with(R"({"process": {"args": []}})"),
                "process.args: must not be empty"},
        BadCase{"EmptyArg0", minimal_with(R"({"process": {"args": [""]}})"),
                "process.args[0]: must not be empty"},
        BadCase{"RelativeCwd", minimal_with(R"({"process": {"cwd": "home"}})"),
                "process.cwd: must be an absolute path, got `home`"},
        BadCase{"NoCwd", minimal_with(R"({"process": {"cwd": null}})"),
                "process.cwd: must not be empty"},
        BadCase{"EnvWithoutEquals", minimal_with(R"({"process": {"env": ["A=1", "B"]}})"),
                "process.env[1]: `B` is not NAME=VALUE"},
        BadCase{"UnknownRlimit", minimal_with(R"({"process": {"rlimits": [{"type": "NOFILE"}]}})"),
                "process.rlimits[0].type: unknown rlimit `NOFILE`"},
        BadCase{
            "SoftAboveHard",
            minimal_with(
                R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1, "soft": 2}]}})"),
            "process.rlimits[0]: soft limit 2 is above hard limit 1"},
        BadCase{"RelativeMount",
                minimal_with(R"({"mounts": [{"destination": "/proc"}, {"destination": "proc"}]})"),
                "mounts[1].destination: must be an absolute path, got `proc`"},
        BadCase{"EmptyMountDestination", minimal_with(R"({"mounts": [{"source": "/x"}]})"),
                "mounts[0].destination: must not be empty"},
        BadCase{"RelativeHook", minimal_with(R"({"hooks": {"poststop": [{"path": "hook"}]}})"),
                "hooks.poststop[0].path: must be an absolute path, got `hook`"},
        BadCase{"UnknownNamespace", minimal_with(R"({"linux": {"namespaces": [{"type": "net"}]}})"),
                "linux.namespaces[0].type: unknown namespace `net`"},
        BadCase{"DuplicateNamespace",
                minimal_with(R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}})"),
                "linux.namespaces[1].type: namespace `pid` is listed twice"},
        BadCase{"DeviceType",
                minimal_with(R"({"linux": {"devices": [{"path": "/dev/x", "type": "x"}]}})"),
                "linux.devices[0].type: expected one of c, b, u, p, got `x`"},
        BadCase{"CgroupAccess",
                minimal_with(R"({"linux": {"resources": {"devices": [{"access": "rwx"}]}}})"),
                "linux.resources.devices[0].access: `rwx` is not a subset of `rwm`"},
        BadCase{"SeccompNoDefault", minimal_with(R"({"linux": {"seccomp": {"syscalls": []}}})"),
                "linux.seccomp.defaultAction: must be set"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(OciProcess, ParsesWhatCtrExecSends) {
  Result<grpc::Process> p = parse_process(
      R"({"terminal": false, "user": {"uid": 1, "gid": 2}, "args": ["ls", "-l"],
          "env": ["PATH=/bin"], "cwd": "/tmp", "noNewPrivileges": true})");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_THAT(std::vector<std::string>(p->args().begin(), p->args().end()),
              ::testing::ElementsAre("ls", "-l"));
  EXPECT_EQ(p->user().gid(), 2u);
}

TEST(OciProcess, Rejects) {
  struct Case {
    const char* json;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"cwd": "/"})", "parse OCI process: args: must not be empty"},
           {R"({"args": ["ls"], "cwd": "tmp"})",
            "parse OCI process: cwd: must be an absolute path, got `tmp`"},
           {R"({"args": ["ls"], "cwd": "/", "user": {"uid": -5}})",
            "parse OCI process: user.uid: -5 is out of range for an unsigned 32-bit integer"},
           {R"({"args": ["ls"])",
            "parse OCI process: invalid JSON at line 1, column 16: syntax error "
            "while parsing object - unexpected end of input; expected '}'"}}) {
    Result<grpc::Process> p = parse_process(c.json);
    ASSERT_FALSE(p.ok()) << c.json;
    EXPECT_EQ(p.error().message(), c.error);
  }
}

TEST(OciResources, ParsesWhatCtrUpdateSends) {
  Result<grpc::LinuxResources> r = parse_resources(
      R"({"memory": {"limit": 268435456, "swap": 536870912}, "cpu": {"shares": 512,
          "quota": 50000, "period": 100000}, "pids": {"limit": 64}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->memory().limit(), 268435456);
  EXPECT_EQ(r->cpu().quota(), 50000);
  EXPECT_EQ(r->pids().limit(), 64);
  Result<grpc::LinuxResources> bad = parse_resources(R"({"memory": {"limit": "1G"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "parse OCI resources: memory.limit: expected a 64-bit integer, got string \"1G\"");
}

TEST(OciBundle, LoadsConfigJsonAndNamesTheFile) {
  char dir_template[] = "/tmp/oci_test.XXXXXX";
  std::string dir = ::mkdtemp(dir_template);
  Result<grpc::Spec> missing = load_bundle_spec(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("`" + dir + "/config.json`"));

  ASSERT_TRUE(fs::write_file_atomic(dir + "/config.json", kMinimal).ok());
  Result<grpc::Spec> spec = load_bundle_spec(dir);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->root().path(), "rootfs");

  ASSERT_TRUE(fs::write_file_atomic(dir + "/config.json", R"({"root": {}})").ok());
  Result<grpc::Spec> bad = load_bundle_spec(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "load `" + dir + "/config.json`: parse OCI spec: root.path: must not be empty");
  ASSERT_TRUE(fs::remove_all(dir).ok());
}

struct PodCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> annotations;
  ContainerType type;
  const char* sandbox_id;
  const char* error;  // nullptr: success
};

void PrintTo(const PodCase& c, std::ostream* os) { *os << c.name; }

class OciPodInfo : public ::testing::TestWithParam<PodCase> {};

TEST_P(OciPodInfo, FromAnnotations) {
  grpc::Spec spec;
  for (const auto& [k, v] : GetParam().annotations) (*spec.mutable_annotations())[k] = v;
  Result<PodInfo> info = pod_info(spec);
  if (GetParam().error) {
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(info.error().message(), GetParam().error);
    return;
  }
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->type, GetParam().type);
  EXPECT_EQ(info->sandbox_id, GetParam().sandbox_id);
}

const char* kCriType = "io.kubernetes.cri.container-type";
const char* kCriId = "io.kubernetes.cri.sandbox-id";
const char* kCrioType = "io.kubernetes.cri-o.ContainerType";
const char* kCrioId = "io.kubernetes.cri-o.SandboxID";

INSTANTIATE_TEST_SUITE_P(
    Cases, OciPodInfo,
    ::testing::Values(
        PodCase{"NoAnnotations", {}, ContainerType::kSingle, "", nullptr},
        PodCase{"OnlyOtherAnnotations",
                {{"org.opencontainers.image.ref.name", "x"}},
                ContainerType::kSingle,
                "",
                nullptr},
        PodCase{"ContainerdSandbox",
                {{kCriType, "sandbox"}, {kCriId, "abc"}},
                ContainerType::kPodSandbox,
                "abc",
                nullptr},
        PodCase{"ContainerdSandboxWithoutId",
                {{kCriType, "sandbox"}},
                ContainerType::kPodSandbox,
                "",
                nullptr},
        PodCase{"ContainerdContainer",
                {{kCriType, "container"}, {kCriId, "abc"}},
                ContainerType::kPodContainer,
                "abc",
                nullptr},
        PodCase{"CrioContainer",
                {{kCrioType, "container"}, {kCrioId, "def"}},
                ContainerType::kPodContainer,
                "def",
                nullptr},
        PodCase{"DockershimSandbox",
                {{"io.kubernetes.docker.type", "podsandbox"}, {"io.kubernetes.sandbox.id", "x1"}},
                ContainerType::kPodSandbox,
                "x1",
                nullptr},
        PodCase{
            "BothAgree",
            {{kCriType, "container"}, {kCriId, "abc"}, {kCrioType, "container"}, {kCrioId, "abc"}},
            ContainerType::kPodContainer,
            "abc",
            nullptr},
        PodCase{
            "BothDisagree",
            {{kCriType, "container"}, {kCriId, "abc"}, {kCrioType, "sandbox"}, {kCrioId, "abc"}},
            ContainerType::kSingle,
            "",
            "pod annotations of containerd and CRI-O disagree"},
        PodCase{"UnknownType",
                {{kCriType, "podsandbox"}},
                ContainerType::kSingle,
                "",
                "annotation io.kubernetes.cri.container-type: unknown container type `podsandbox` "
                "(expected sandbox or container)"},
        PodCase{"ContainerWithoutId",
                {{kCrioType, "container"}},
                ContainerType::kSingle,
                "",
                "annotation io.kubernetes.cri-o.SandboxID: must be set for a CRI-O pod container"},
        PodCase{"IdWithSlash",
                {{kCriType, "container"}, {kCriId, "a/../../etc"}},
                ContainerType::kSingle,
                "",
                "annotation io.kubernetes.cri.sandbox-id: invalid id `a/../../etc`: only letters, "
                "digits, '-', '_' and '.' are allowed"},
        PodCase{"IdDotDot",
                {{kCriType, "container"}, {kCriId, ".."}},
                ContainerType::kSingle,
                "",
                "annotation io.kubernetes.cri.sandbox-id: invalid id `..`: starts with '.'"},
        PodCase{"EmptyId",
                {{kCriType, "container"}, {kCriId, ""}},
                ContainerType::kSingle,
                "",
                "annotation io.kubernetes.cri.sandbox-id: invalid id ``: empty"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(OciGuest, AdaptsTheFullSpec) {
  Result<grpc::Spec> parsed = parse_spec(testdata("full_spec.json"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  grpc::Spec spec = *parsed;
  adapt_for_guest(spec, "/run/kata-containers/shared/containers/abc/rootfs");

  EXPECT_EQ(spec.root().path(), "/run/kata-containers/shared/containers/abc/rootfs");
  EXPECT_TRUE(spec.root().readonly());
  EXPECT_FALSE(spec.has_hooks());
  EXPECT_EQ(spec.process().selinuxlabel(), "");
  EXPECT_EQ(spec.process().apparmorprofile(), "");
  EXPECT_EQ(spec.linux().mountlabel(), "");
  EXPECT_FALSE(spec.linux().has_intelrdt());
  EXPECT_EQ(spec.linux().cgroupspath(), "/docker/abc123");

  std::vector<std::string> namespaces;
  for (const auto& ns : spec.linux().namespaces()) {
    namespaces.push_back(ns.type());
    EXPECT_EQ(ns.path(), "") << ns.type();
  }
  EXPECT_THAT(namespaces, ::testing::ElementsAre("pid", "ipc", "uts", "mount", "user", "cgroup"));

  const grpc::LinuxResources& res = spec.linux().resources();
  EXPECT_EQ(res.cpu().cpus(), "");
  EXPECT_EQ(res.cpu().mems(), "");
  EXPECT_EQ(res.cpu().quota(), -1);
  EXPECT_FALSE(res.has_blockio());
  EXPECT_FALSE(res.has_network());
  EXPECT_EQ(res.devices_size(), 2);
  EXPECT_EQ(res.memory().limit(), 9223372036854775807);
  EXPECT_EQ(res.pids().limit(), -1);
  EXPECT_EQ(res.hugepagelimits_size(), 1);
  EXPECT_EQ(res.unified().size(), 1u);  // memory.high stays, cpuset.cpus goes
  EXPECT_EQ(res.unified().count("memory.high"), 1u);
  EXPECT_EQ(spec.linux().devices_size(), 1);
  EXPECT_EQ(spec.linux().seccomp().syscalls_size(), 3);
  EXPECT_EQ(spec.linux().sysctl().size(), 2u);
  EXPECT_EQ(spec.mounts_size(), 2);
}

// CRI's shareProcessNamespace names the pause container's pid namespace by path.
TEST(OciGuest, PidNamespacePathMeansTheSandboxsAndIsDropped) {
  Result<grpc::Spec> shared = parse_spec(minimal_with(R"({"linux": {"namespaces": [
      {"type": "pid", "path": "/proc/4242/ns/pid"}, {"type": "ipc", "path": "/proc/4242/ns/ipc"},
      {"type": "uts", "path": "/proc/4242/ns/uts"}, {"type": "mount"},
      {"type": "network", "path": "/var/run/netns/cni-1"}]}})"));
  ASSERT_TRUE(shared.ok()) << shared.error().message();
  EXPECT_TRUE(joins_pid_namespace(*shared));
  grpc::Spec guest = *shared;
  adapt_for_guest(guest, "/rootfs");
  std::vector<std::string> types;
  for (const auto& ns : guest.linux().namespaces()) {
    types.push_back(ns.type());
    EXPECT_EQ(ns.path(), "") << ns.type();
  }
  EXPECT_THAT(types, ::testing::ElementsAre("pid", "ipc", "uts", "mount"));
  EXPECT_FALSE(joins_pid_namespace(guest));

  Result<grpc::Spec> own = parse_spec(minimal_with(R"({"linux": {"namespaces": [
      {"type": "pid"}, {"type": "ipc", "path": "/proc/4242/ns/ipc"}]}})"));
  ASSERT_TRUE(own.ok()) << own.error().message();
  EXPECT_FALSE(joins_pid_namespace(*own)) << "an ipc path is not a pid one";
  EXPECT_FALSE(joins_pid_namespace(grpc::Spec()));
}

TEST(OciGuest, KeepsCgroupfsPathsAndMinimalSpecs) {
  Result<grpc::Spec> parsed =
      parse_spec(minimal_with(R"({"linux": {"cgroupsPath": "/kubepods/pod1/c1"}})"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  grpc::Spec spec = *parsed;
  adapt_for_guest(spec, "/rootfs");
  EXPECT_EQ(spec.linux().cgroupspath(), "/kubepods/pod1/c1");
  EXPECT_FALSE(spec.linux().has_resources());
  grpc::Spec empty;
  adapt_for_guest(empty, "/rootfs");
  EXPECT_EQ(empty.root().path(), "/rootfs");
  EXPECT_FALSE(empty.has_linux());
}

}  // namespace
}  // namespace kata::oci
