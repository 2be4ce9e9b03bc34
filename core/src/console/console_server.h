// The console's unix socket: `zvon -r` and `zvon -rx` connect here. The core loop's thread.
#pragma once
#include <filesystem>
#include <memory>

#include "zvon/result.h"

namespace zvon {

class CoreImpl;

class ConsoleServer {
 public:
  // Listens on `socket_path` (replacing a stale socket, refusing when a live daemon owns it).
  static Result<std::unique_ptr<ConsoleServer>> start(CoreImpl& core, std::filesystem::path socket_path);
  virtual ~ConsoleServer() = default;
};

}  // namespace zvon
