// Turns a parsed extensions.conf into a CompiledDialplan, collecting every error with its
// file:line:column instead of stopping at the first. Pure: any thread (reloads run it on the
// core loop, never on a worker).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dialplan/compiled_dialplan.h"
#include "zvon/config.h"

namespace zvon {

struct DialplanError {
  SourcePos pos;     // file empty when the error has no position of its own
  std::string what;  // "duplicate priority 2 of extension '100' ..."
  std::string str() const;  // "file:line:column: what"
};

struct DialplanCompileResult {
  std::shared_ptr<const CompiledDialplan> plan;  // null when there are errors
  std::vector<DialplanError> errors;
  bool ok() const { return errors.empty(); }
  // Every error on its own line.
  std::string message() const;
};

DialplanCompileResult compile_dialplan(const Config& config);
// Reads and compiles a file; a syntax error of the file itself is the one error returned.
DialplanCompileResult compile_dialplan_file(const std::filesystem::path& path);

}  // namespace zvon
