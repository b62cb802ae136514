#pragma once

#include <string>

#include "common/result.h"
#include "oci.pb.h"

namespace kata::oci {

// The checks a decoded spec must pass before any VM exists (spec.cc calls them after
// decode_json). Each error is INVALID_ARGUMENT starting with the JSON path of the field; where
// runc 1.1 refuses the same value, the rest of the message is runc's wording. The rules, and
// what runc does for each, are listed in docs/oci.md ("What is refused").

// A whole config.json.
Status validate_spec(const grpc::Spec& spec);

// A process; `prefix` is "process." inside a spec and "" for an exec process, so that paths
// match the JSON that was given.
Status validate_process(const grpc::Process& process, const std::string& prefix);

// Which relations between fields can be checked: a resource update (`ctr task update`) is
// merged with what the container already has, so a field it leaves out is not "unset".
enum class ResourcesUse { kCreate, kUpdate };

// `prefix` is "linux.resources." inside a spec and "" for an update.
Status validate_resources(const grpc::LinuxResources& resources, const std::string& prefix,
                          ResourcesUse use);

}  // namespace kata::oci
