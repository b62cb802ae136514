// libFuzzer target for the OCI JSON decoders: config.json, exec processes and resource updates
// come from whoever writes the bundle or calls the shim, so they are untrusted bytes.
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/oci.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kata::oci;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_process(text);
  (void)parse_resources(text);
  kata::Result<grpc::Spec> spec = parse_spec(text);
  if (!spec) return 0;
  // What we accept, we print back so that it parses to the same spec.
  kata::Result<grpc::Spec> again = parse_spec(to_json(*spec));
  check(again.ok());
  check(google::protobuf::util::MessageDifferencer::Equals(*spec, *again));
  (void)pod_info(*spec);
  adapt_for_guest(*spec, "/run/kata-containers/shared/containers/x/rootfs");
  return 0;
}
