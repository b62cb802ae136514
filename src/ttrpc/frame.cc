#include "ttrpc/frame.h"

#include <fmt/format.h>

#include <cstring>

#include "ttrpc/io.h"

namespace kata::ttrpc {

namespace {

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t get_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

HeaderBytes header_from(const char* p) {
  HeaderBytes bytes;
  std::memcpy(bytes.data(), p, bytes.size());
  return bytes;
}

Error truncated(std::string_view part, size_t got, size_t want, uint32_t stream_id) {
  if (part == "header") {
    return Error(
        Code::kDataLoss,
        fmt::format("truncated frame: stream ended after {} of {} header bytes", got, want));
  }
  return Error(Code::kDataLoss,
               fmt::format("truncated frame: stream ended after {} of {} data bytes on stream {}",
                           got, want, stream_id));
}

}  // namespace

HeaderBytes encode_header(const FrameHeader& header) {
  HeaderBytes bytes{};
  put_u32(bytes.data(), header.data_length);
  put_u32(bytes.data() + 4, header.stream_id);
  bytes[8] = header.type;
  bytes[9] = header.flags;
  return bytes;
}

FrameHeader decode_header(const HeaderBytes& bytes) {
  return FrameHeader{get_u32(bytes.data()), get_u32(bytes.data() + 4), bytes[8], bytes[9]};
}

Status check_header(const FrameHeader& header) {
  if (header.data_length <= kMaxFrameData) return {};
  return Error(Code::kResourceExhausted,
               fmt::format("frame on stream {} announces {} bytes of data, more than the limit of "
                           "{} bytes",
                           header.stream_id, header.data_length, kMaxFrameData));
}

Result<std::string> encode_frame(const Frame& frame) {
  if (frame.data.size() > kMaxFrameData) {
    return Error(Code::kResourceExhausted,
                 fmt::format("encode frame on stream {}: {} bytes of data, more than the limit of "
                             "{} bytes",
                             frame.stream_id, frame.data.size(), kMaxFrameData));
  }
  FrameHeader header{static_cast<uint32_t>(frame.data.size()), frame.stream_id, frame.type,
                     frame.flags};
  HeaderBytes head = encode_header(header);
  std::string out;
  out.reserve(head.size() + frame.data.size());
  out.append(reinterpret_cast<const char*>(head.data()), head.size());
  out.append(frame.data);
  return out;
}

Result<DecodedFrame> decode_frame(std::string_view bytes) {
  if (bytes.size() < kFrameHeaderSize) {
    return truncated("header", bytes.size(), kFrameHeaderSize, 0);
  }
  FrameHeader header = decode_header(header_from(bytes.data()));
  KATA_TRY(check_header(header));
  size_t available = bytes.size() - kFrameHeaderSize;
  if (available < header.data_length) {
    return truncated("data", available, header.data_length, header.stream_id);
  }
  DecodedFrame out;
  out.frame = Frame{header.stream_id, header.type, header.flags,
                    std::string(bytes.substr(kFrameHeaderSize, header.data_length))};
  out.size = kFrameHeaderSize + header.data_length;
  return out;
}

Result<std::optional<FrameHeader>> read_frame_header(int fd, int wake_fd) {
  char buf[kFrameHeaderSize];
  KATA_ASSIGN_OR_RETURN(size_t got,
                        io::read_full(fd, buf, sizeof(buf), wake_fd).context("read frame header"));
  if (got == 0) return std::optional<FrameHeader>();
  if (got < sizeof(buf)) return truncated("header", got, sizeof(buf), 0);
  return std::optional<FrameHeader>(decode_header(header_from(buf)));
}

Result<std::string> read_frame_data(int fd, const FrameHeader& header, int wake_fd) {
  KATA_TRY(check_header(header));
  std::string data(header.data_length, '\0');
  KATA_ASSIGN_OR_RETURN(
      size_t got, io::read_full(fd, data.data(), data.size(), wake_fd).context("read frame data"));
  if (got < data.size()) return truncated("data", got, data.size(), header.stream_id);
  return data;
}

Result<std::optional<Frame>> read_frame(int fd, int wake_fd) {
  KATA_ASSIGN_OR_RETURN(std::optional<FrameHeader> header, read_frame_header(fd, wake_fd));
  if (!header) return std::optional<Frame>();
  KATA_ASSIGN_OR_RETURN(std::string data, read_frame_data(fd, *header, wake_fd));
  return std::optional<Frame>(
      Frame{header->stream_id, header->type, header->flags, std::move(data)});
}

Status write_frame(int fd, const Frame& frame, int wake_fd) {
  KATA_ASSIGN_OR_RETURN(std::string bytes, encode_frame(frame));
  return io::write_all(fd, bytes, wake_fd)
      .context(fmt::format("write frame on stream {}", frame.stream_id));
}

}  // namespace kata::ttrpc
