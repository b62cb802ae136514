// Decoding of config.json, exec processes and resource updates; the checks are in validate.cc.
#include "common/fs.h"
#include "common/strings.h"
#include "oci/json_codec.h"
#include "oci/oci.h"
#include "oci/validate.h"

namespace kata::oci {

Result<grpc::Spec> parse_spec(std::string_view config_json) {
  grpc::Spec spec;
  Status status = decode_json(config_json, spec);
  if (status) status = validate_spec(spec);
  if (!status) return std::move(status).error().context("parse OCI spec");
  return spec;
}

Result<grpc::Spec> load_bundle_spec(const std::string& bundle_dir) {
  std::string path = bundle_dir + "/config.json";
  Result<std::string> text = fs::read_file(path);
  if (!text) return std::move(text).error().context("load bundle spec");
  return parse_spec(*text).context(fmt_path("load", path));
}

Result<grpc::Process> parse_process(std::string_view process_json) {
  grpc::Process process;
  Status status = decode_json(process_json, process);
  if (status) status = validate_process(process, "");
  if (!status) return std::move(status).error().context("parse OCI process");
  return process;
}

Result<grpc::LinuxResources> parse_resources(std::string_view resources_json) {
  grpc::LinuxResources resources;
  Status status = decode_json(resources_json, resources);
  if (status) status = validate_resources(resources, "", ResourcesUse::kUpdate);
  if (!status) return std::move(status).error().context("parse OCI resources");
  return resources;
}

std::string to_json(const grpc::Spec& spec) { return encode_json(spec); }

}  // namespace kata::oci
