// What the microbenchmarks (bench/transcode, bench/record) share: a core in a temporary
// directory with codec modules loaded as the daemon loads them, the speech-like test signal
// (common/speech_like_signal.h), and RTP packets built around payloads. Each bench defines
// ZVON_BENCH_MODULES_DIR.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/speech_like_signal.h"
#include "core_impl.h"

namespace zvon::bench {

inline std::vector<uint8_t> rtp(int pt, uint16_t seq, uint32_t ts, std::span<const uint8_t> payload) {
  std::vector<uint8_t> p{0x80, uint8_t(pt), uint8_t(seq >> 8), uint8_t(seq), uint8_t(ts >> 24), uint8_t(ts >> 16),
                         uint8_t(ts >> 8), uint8_t(ts), 0, 0, 0, 7};
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// A started core with `modules` loaded from ZVON_BENCH_MODULES_DIR; error() says why not.
class BenchCore {
 public:
  explicit BenchCore(std::initializer_list<const char*> modules)
      : dir_(std::filesystem::temp_directory_path() / ("zvon-bench-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_ / "etc");
    std::filesystem::create_directories(dir_ / "dialplan");
    std::ofstream(dir_ / "etc" / "modules.conf") << "[modules]\nautoload = no\n";
    std::ofstream(dir_ / "dialplan" / "extensions.conf") << "[default]\n";
    CoreSettings s;
    s.paths.config_dir = dir_ / "etc";
    s.paths.dialplan_dir = dir_ / "dialplan";
    s.paths.modules_dir = ZVON_BENCH_MODULES_DIR;
    s.paths.sounds_dir = dir_ / "sounds";
    s.paths.run_dir = dir_ / "run";
    s.paths.data_dir = dir_ / "var";
    s.workers = 1;
    s.log_level = LogLevel::Warning;
    core_ = std::make_unique<CoreImpl>(s);
    if (auto r = core_->start(false); !r) {
      error_ = "core: " + r.message();
      return;
    }
    for (auto name : modules) {
      if (auto r = core_->modules().load(std::string(ZVON_BENCH_MODULES_DIR) + "/" + name + ".so"); !r) {
        error_ = r.message();
        return;
      }
    }
  }
  ~BenchCore() {
    core_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  BenchCore(const BenchCore&) = delete;
  BenchCore& operator=(const BenchCore&) = delete;

  const std::string& error() const { return error_; }
  CoreImpl& core() { return *core_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<CoreImpl> core_;
  std::string error_;
};

}  // namespace zvon::bench
