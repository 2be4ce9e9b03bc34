// A started core for unit tests: no console socket, no modules unless a test loads them,
// an empty dialplan unless one is given. Its directory is removed with it.
#pragma once
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "core_impl.h"

namespace zvon::test {

// A real module built into build/modules (app_dial, codec_g711 ...), for core().modules().load().
inline std::string module_path(std::string_view name) {
  return std::string(ZVON_TEST_MODULES_DIR) + "/../modules/" + std::string(name) + ".so";
}

class TestCore {
 public:
  explicit TestCore(std::string dialplan = "[default]\n", int workers = 1) {
    static std::atomic<int> serial{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("zvon-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
    std::filesystem::create_directories(dir_ / "etc");
    std::filesystem::create_directories(dir_ / "dialplan");
    std::ofstream(dir_ / "etc" / "modules.conf") << "[modules]\nautoload = no\n";
    std::ofstream(dir_ / "dialplan" / "extensions.conf") << dialplan;
    CoreSettings s;
    s.paths.config_dir = dir_ / "etc";
    s.paths.dialplan_dir = dir_ / "dialplan";
    s.paths.modules_dir = ZVON_TEST_MODULES_DIR;
    s.paths.sounds_dir = dir_ / "sounds";
    s.paths.run_dir = dir_ / "run";
    s.paths.data_dir = dir_ / "var";
    s.workers = workers;
    s.log_level = LogLevel::Warning;
    core_ = std::make_unique<CoreImpl>(s);
    auto started = core_->start(false);
    if (!started) throw std::runtime_error(started.message());
  }
  ~TestCore() {
    core_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  CoreImpl& core() { return *core_; }
  CoreImpl* operator->() { return core_.get(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<CoreImpl> core_;
};

}  // namespace zvon::test
