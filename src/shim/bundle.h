#pragma once

#include <functional>
#include <string_view>

#include "agent.pb.h"
#include "common/result.h"

namespace kata::shim {

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
