// libFuzzer target for the ttRPC frame decoder and the envelope decoders: the
// bytes a guest agent reads from the host (and a host from the guest) are
// untrusted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ttrpc/codec.h"
#include "ttrpc/frame.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kata::ttrpc;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  // Decode frames back to back, as a reader of a stream would.
  while (!rest.empty()) {
    kata::Result<DecodedFrame> decoded = decode_frame(rest);
    if (!decoded) break;
    const Frame& frame = decoded->frame;
    check(decoded->size == kFrameHeaderSize + frame.data.size());
    check(decoded->size <= rest.size());
    check(frame.data.size() <= kMaxFrameData);
    // Encoding what was decoded gives back the same bytes.
    kata::Result<std::string> encoded = encode_frame(frame);
    check(encoded.ok() && *encoded == rest.substr(0, decoded->size));
    (void)decode_request(frame.data);
    (void)decode_response(frame.data);
    rest.remove_prefix(decoded->size);
  }
  return 0;
}
