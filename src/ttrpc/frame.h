#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

// ttRPC framing (containerd/ttrpc PROTOCOL.md): a 10-byte big-endian header
//   u32 data length | u32 stream id | u8 type | u8 flags
// followed by `data length` bytes of protobuf. Pure functions over bytes and
// fds, so they can be unit-tested and fuzzed apart from the RPC machinery.
namespace kata::ttrpc {

inline constexpr size_t kFrameHeaderSize = 10;
inline constexpr uint32_t kMaxFrameData = 4u << 20;

enum class FrameType : uint8_t { kRequest = 1, kResponse = 2, kData = 3 };

struct FrameHeader {
  uint32_t data_length = 0;
  uint32_t stream_id = 0;
  // Raw byte, not FrameType: a peer may send types we do not know, and the
  // server still has to answer them on their stream.
  uint8_t type = 0;
  uint8_t flags = 0;
};

struct Frame {
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  std::string data;
};

using HeaderBytes = std::array<uint8_t, kFrameHeaderSize>;

HeaderBytes encode_header(const FrameHeader& header);
FrameHeader decode_header(const HeaderBytes& bytes);

// RESOURCE_EXHAUSTED when the header announces more than kMaxFrameData bytes.
Status check_header(const FrameHeader& header);

// Header plus data; RESOURCE_EXHAUSTED if the data is over the limit.
Result<std::string> encode_frame(const Frame& frame);

struct DecodedFrame {
  Frame frame;
  size_t size = 0;  // bytes of `bytes` the frame used: header plus data
};

// Decodes the one frame at the start of `bytes`. The end of `bytes` counts as
// the end of the stream: a partial frame is DATA_LOSS "truncated frame".
Result<DecodedFrame> decode_frame(std::string_view bytes);

// Reads one header from a blocking or non-blocking stream fd. nullopt when the
// peer closed the stream cleanly at a frame boundary; DATA_LOSS if it closed it
// inside the header. `wake_fd` (see io.h) interrupts the wait with CANCELLED.
Result<std::optional<FrameHeader>> read_frame_header(int fd, int wake_fd = -1);
// Reads the data the header announced, after check_header() accepted it.
Result<std::string> read_frame_data(int fd, const FrameHeader& header, int wake_fd = -1);
// Both of the above, plus the size check.
Result<std::optional<Frame>> read_frame(int fd, int wake_fd = -1);

// Writes a whole frame; never raises SIGPIPE (EPIPE comes back as UNAVAILABLE).
Status write_frame(int fd, const Frame& frame, int wake_fd = -1);

}  // namespace kata::ttrpc
