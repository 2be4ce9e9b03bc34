// The console's wire protocol between `zvon -r`/`-rx` (or any program) and the daemon's unix
// socket. Pure data handling, no I/O: the server and the client both use it. Any thread.
//
// Every message is a frame:
//
//   +----------------------+---------+------------------+
//   | length: u32 big end. | type: u8| payload: length B |
//   +----------------------+---------+------------------+
//
// `length` counts the payload only. Text payloads are UTF-8 without a terminating NUL.
//
// Client -> server
//   'R' run       payload: a command line. Answered by zero or more 'O' then one 'E'.
//   'C' complete  payload: the line up to the cursor. Answered by one 'M'.
//   'L' logs      payload: "1" to receive log lines as 'G' frames from now on, "0" to stop.
// Server -> client
//   'H' hello     payload: "zvon <version>"; sent once, as soon as the connection is accepted
//                 (a client knows the daemon answers when it arrives).
//   'O' output    payload: a chunk of the running command's output.
//   'E' end       payload: the command's exit status in decimal ("0" success).
//   'M' matches   payload: the candidates for the last word of the line, '\n'-separated
//                 (empty: none). Each is a whole word; the client replaces the partial word.
//   'G' log       payload: one formatted log line: a level digit (0 debug .. 4 error), a space,
//                 then the line as the log file has it.
//
// Requests on one connection are answered in order. A frame longer than the receiver's limit
// or of a type it does not know is a protocol error: the receiver closes that connection.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zvon::console {

enum class FrameType : char {
  Run = 'R',
  Complete = 'C',
  Logs = 'L',
  Hello = 'H',
  Output = 'O',
  End = 'E',
  Matches = 'M',
  Log = 'G',
};

constexpr size_t kFrameHeaderSize = 5;
// What a server accepts from a client: a command line is short.
constexpr size_t kMaxRequestPayload = 64 * 1024;
// What a client accepts from the server; output is sent in chunks of at most this much.
constexpr size_t kMaxResponsePayload = 256 * 1024;

struct Frame {
  FrameType type;
  std::string payload;
};

bool is_client_frame(char type);
bool is_server_frame(char type);

// Appends one encoded frame to `out`.
void append_frame(std::string& out, FrameType type, std::string_view payload);
std::string encode_frame(FrameType type, std::string_view payload);

// Splits a byte stream into frames. Feed it whatever arrived, then take frames until none is
// complete. After an error it stays failed.
class FrameReader {
 public:
  explicit FrameReader(size_t max_payload) : max_payload_(max_payload) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete frame, or nullopt when more bytes are needed or the stream is bad
  // (then failed() is true and error() says why).
  std::optional<Frame> next();
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  size_t max_payload_;
  std::string buffer_;
  size_t consumed_ = 0;
  std::string error_;
};

// 'E' payloads.
std::string encode_status(int status);
std::optional<int> decode_status(std::string_view payload);

}  // namespace zvon::console
