// The client's end of the console socket (see console/console_protocol.h for the frames).
// Blocking I/O with timeouts. One thread at a time.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "console/console_protocol.h"
#include "main/unique_fd.h"
#include "zvon/result.h"

namespace zvon {

class ConsoleConnection {
 public:
  // Connects and waits up to `timeout_ms` for the daemon's hello. The error says whether
  // no daemon runs there or it does not answer.
  static Result<ConsoleConnection> open(const std::filesystem::path& socket_path, int timeout_ms);

  int fd() const { return fd_.get(); }
  // "zvon 0.1.0": the daemon's hello.
  const std::string& greeting() const { return greeting_; }

  Result<void> send(console::FrameType type, std::string_view payload);
  // The next frame, waiting up to `timeout_ms` (negative: no limit).
  Result<console::Frame> next(int timeout_ms);
  // A frame that has arrived already, without waiting.
  std::optional<console::Frame> buffered();
  // Reads what the socket has now (call when poll says it is readable). Fails when the
  // daemon closed the connection or sent something that is not the protocol.
  Result<void> receive();

 private:
  explicit ConsoleConnection(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
  console::FrameReader reader_{console::kMaxResponsePayload};
  std::string greeting_;
};

}  // namespace zvon
