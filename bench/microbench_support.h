// What the microbenchmarks (bench/transcode, bench/record) share: a core in a temporary
// directory with codec modules loaded as the daemon loads them, a speech-like test signal,
// and RTP packets built around payloads. Each bench defines ZVON_BENCH_MODULES_DIR.
#pragma once
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "core_impl.h"

namespace zvon::bench {

// Two tones (f1 and 1230 Hz) under a 3 Hz envelope: something like a voice to the codecs.
inline std::vector<int16_t> voice_like(int rate, size_t n, double f1 = 440) {
  std::vector<int16_t> s(n);
  for (size_t i = 0; i < n; ++i) {
    double t = double(i) / rate;
    double envelope = 0.6 + 0.4 * std::sin(2 * std::numbers::pi * 3 * t);
    double v = 0.3 * std::sin(2 * std::numbers::pi * f1 * t) + 0.15 * std::sin(2 * std::numbers::pi * 1230 * t);
    s[i] = int16_t(std::lround(32767 * envelope * v));
  }
  return s;
}

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
