#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "oci/oci.h"

namespace kata::oci {
namespace {

grpc::Spec with_namespaces(std::initializer_list<const char*> types) {
  grpc::Spec spec;
  for (const char* type : types) spec.mutable_linux()->add_namespaces()->set_type(type);
  return spec;
}

TEST(RefuseHostNamespaces, CtrRunsDefaultSpecPasses) {
  std::ifstream in(std::string(KATA_OCI_TESTDATA) + "/ctr_run_spec.json");
  std::stringstream text;
  text << in.rdbuf();
  Result<grpc::Spec> spec = parse_spec(text.str());
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_TRUE(refuse_host_namespaces(*spec).ok());
}

TEST(RefuseHostNamespaces, PathsAreTheCallersOwnAndPass) {
  grpc::Spec spec = with_namespaces({"pid", "ipc"});
  grpc::LinuxNamespace* net = spec.mutable_linux()->add_namespaces();
  net->set_type("network");
  net->set_path("/var/run/netns/cni-1");
  EXPECT_TRUE(refuse_host_namespaces(spec).ok());
}

TEST(RefuseHostNamespaces, EachMissingEntryIsRefusedByName) {
  struct Case {
    grpc::Spec spec;
    const char* named;
  };
  for (const Case& c : {Case{with_namespaces({"pid", "ipc", "mount"}), "`network`"},
                        Case{with_namespaces({"network", "ipc"}), "`pid`"},
                        Case{with_namespaces({"network", "pid", "uts"}), "`ipc`"},
                        Case{grpc::Spec{}, "`network`"}}) {
    Status refused = refuse_host_namespaces(c.spec);
    ASSERT_FALSE(refused.ok()) << c.named;
    EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
    EXPECT_NE(refused.error().message().find(c.named), std::string::npos)
        << refused.error().message();
    EXPECT_NE(refused.error().message().find("cannot share"), std::string::npos);
  }
}

TEST(RefuseHostNamespaces, JoiningAnotherPidOrIpcNamespaceIsRefused) {
  for (const char* type : {"pid", "ipc"}) {
    grpc::Spec spec = with_namespaces({"network", "pid", "ipc"});
    for (grpc::LinuxNamespace& ns : *spec.mutable_linux()->mutable_namespaces())
      if (ns.type() == type) ns.set_path("/proc/42/ns/" + ns.type());
    Status refused = refuse_host_namespaces(spec);
    ASSERT_FALSE(refused.ok()) << type;
    EXPECT_NE(refused.error().message().find(std::string("`") + type + "` entry joins"),
              std::string::npos)
        << refused.error().message();
  }
}

}  // namespace
}  // namespace kata::oci
