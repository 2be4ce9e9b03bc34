#include "console/console_protocol.h"

#include <charconv>

namespace zvon::console {

bool is_client_frame(char type) {
  switch (FrameType(type)) {
    case FrameType::Run:
    case FrameType::Complete:
    case FrameType::Logs:
      return true;
    default:
      return false;
  }
}

bool is_server_frame(char type) {
  switch (FrameType(type)) {
    case FrameType::Hello:
    case FrameType::Output:
    case FrameType::End:
    case FrameType::Matches:
    case FrameType::Log:
      return true;
    default:
      return false;
  }
}

void append_frame(std::string& out, FrameType type, std::string_view payload) {
  uint32_t n = uint32_t(payload.size());
  char header[kFrameHeaderSize] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n),
                                   char(type)};
  out.append(header, kFrameHeaderSize);
  out.append(payload);
}

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(kFrameHeaderSize + payload.size());
  append_frame(out, type, payload);
  return out;
}

std::optional<Frame> FrameReader::next() {
  if (failed()) return std::nullopt;
  size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderSize) {
    // Keep the buffer from growing with consumed bytes in front.
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    return std::nullopt;
  }
  auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  uint32_t length = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) |
                    uint32_t(p[3]);
  if (length > max_payload_) {
    error_ = "frame of " + std::to_string(length) + " bytes exceeds the limit of " +
             std::to_string(max_payload_);
    return std::nullopt;
  }
  if (available < kFrameHeaderSize + length) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    return std::nullopt;
  }
  Frame frame{FrameType(char(p[4])),
              buffer_.substr(consumed_ + kFrameHeaderSize, length)};
  consumed_ += kFrameHeaderSize + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return frame;
}

std::string encode_status(int status) { return std::to_string(status); }

std::optional<int> decode_status(std::string_view payload) {
  int v = 0;
  auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), v);
  if (ec != std::errc() || end != payload.data() + payload.size()) return std::nullopt;
  return v;
}

}  // namespace zvon::console
