// Loads, unloads and reloads modules (*.so). The core loop's thread.
#pragma once
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/module.h"
#include "zvon/result.h"

namespace zvon {

class CoreImpl;
class LoadedModule;

struct ModuleInfo {
  std::string name;
  std::string description;
  std::string depends;
  int uses = 0;
};

class ModuleLoader {
 public:
  ModuleLoader(CoreImpl& core, std::filesystem::path modules_dir);
  ~ModuleLoader();  // unloads everything, dependants first

  // `name` is "app_echo" or "app_echo.so", found in the modules directory, or a path.
  // Loads what it depends on first.
  Result<void> load(std::string_view name);
  // Refuses while the module is in use (saying by what) or another loaded module depends on it.
  Result<void> unload(std::string_view name);
  // Calls the module's reload(): it re-reads its configuration.
  Result<void> reload(std::string_view name);
  // Unloads every module that nothing uses, dependants first (shutdown).
  void unload_all();

  std::vector<ModuleInfo> list() const;
  bool is_loaded(std::string_view name) const;
  std::vector<std::string> available() const;  // *.so in the modules directory
  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::filesystem::path resolve(std::string_view name) const;
  Result<void> load_file(const std::filesystem::path& path, std::vector<std::string>& chain);

  CoreImpl& core_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<LoadedModule>> modules_;  // in load order
};

}  // namespace zvon
