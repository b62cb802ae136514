#include <fmt/format.h>

#include <array>
#include <string_view>

#include "oci/oci.h"

namespace kata::oci {
namespace {

struct HostNamespace {
  std::string_view type;
  std::string_view asked_as;  // how users ask for it, for the error
};

constexpr std::array<HostNamespace, 3> kCannotShare = {{
    {"network", "--net-host, --net=host, hostNetwork"},
    {"pid", "--pid=host, hostPID"},
    {"ipc", "--ipc=host, hostIPC"},
}};

bool has_namespace(const grpc::Spec& spec, std::string_view type) {
  for (const grpc::LinuxNamespace& ns : spec.linux().namespaces()) {
    if (ns.type() == type) return true;
  }
  return false;
}

}  // namespace

Status refuse_host_namespaces(const grpc::Spec& spec) {
  for (const HostNamespace& ns : kCannotShare) {
    if (has_namespace(spec, ns.type)) continue;
    return Error(Code::kFailedPrecondition,
                 fmt::format("linux.namespaces has no `{0}` entry, which asks for the host's {0} "
                             "namespace ({1}): a container in a VM cannot share it",
                             ns.type, ns.asked_as));
  }
  // The container that makes the VM has nobody in it to share a pid or ipc namespace with
  // (--pid=container:X, ctr --with-ns pid:PATH); a pod's later containers may.
  for (const grpc::LinuxNamespace& ns : spec.linux().namespaces()) {
    if ((ns.type() == "pid" || ns.type() == "ipc") && !ns.path().empty()) {
      return Error(Code::kFailedPrecondition,
                   fmt::format("linux.namespaces `{}` entry joins `{}`: a container that makes "
                               "its own VM cannot share another process's namespace",
                               ns.type(), ns.path()));
    }
  }
  return {};
}

}  // namespace kata::oci
