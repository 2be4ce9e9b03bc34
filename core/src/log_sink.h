// Where log lines go besides stderr: a log file, and listeners (attached consoles). Any thread.
#pragma once
#include <filesystem>
#include <functional>
#include <string_view>

#include "zvon/log.h"
#include "zvon/module.h"
#include "zvon/result.h"

namespace zvon {

// Each formatted line, on the logging thread. Listeners must be quick (copy and post).
Registration add_log_listener(std::function<void(LogLevel, std::string_view line)> listener);
// Append to this file instead of stderr (daemon mode). Empty path: back to stderr.
Result<void> set_log_file(const std::filesystem::path& path);
// Stop writing to stderr (an attached foreground console prints through its listener).
void set_log_to_stderr(bool enabled);

}  // namespace zvon
