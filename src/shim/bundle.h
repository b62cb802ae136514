#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "agent.pb.h"
#include "common/result.h"

namespace kata::shim {

// How a container relates to its VM, from the CRI annotations of its spec.
enum class ContainerKind {
  kSingle,        // no annotation (ctr run, nerdctl): a VM of its own
  kPodSandbox,    // the pod's sandbox (pause) container: creates the VM
  kPodContainer,  // joins the VM of `sandbox_id`
};

struct BundleInfo {
  ContainerKind kind = ContainerKind::kSingle;
  std::string sandbox_id;  // kPodContainer: the sandbox it joins
  std::string hostname;
};

// From `<bundle_dir>/config.json` (src/oci: the CRI, CRI-O and dockershim
// annotations). A spec that does not parse, an unknown container type or a
// pod container without a sandbox id is INVALID_ARGUMENT.
Result<BundleInfo> read_bundle_info(const std::string& bundle_dir);

// The OCI conversions the task service needs, injected so that tests can
// make them fail: a runtime-spec Process (Exec's spec) and LinuxResources
// (Update's resources), both as JSON.
struct SpecParsers {
  std::function<Result<grpc::Process>(std::string_view json)> parse_process;
  std::function<Result<grpc::LinuxResources>(std::string_view json)> parse_resources;
};

// The real conversions (src/oci).
SpecParsers oci_spec_parsers();

}  // namespace kata::shim
