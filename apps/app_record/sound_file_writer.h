// Writes a recording with libsndfile without ever blocking the loop: the loop hands over
// samples, and the libuv threadpool opens the file (making its directory), writes them in
// batches of a quarter second and closes it, one job at a time per file so the order holds.
// The file outlives its writer: destroying the writer (a hang-up unwinding Record) still
// writes what was handed over and closes the file, so it is complete and valid. WAV headers
// are brought up to date after every batch, so even a crash leaves a readable file.
//
// The loop that made it only; the jobs keep what they need alive by themselves.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "zvon/loop.h"
#include "zvon/result.h"

namespace zvon::record {

class SoundFileWriter {
 public:
  // `sf_format` is libsndfile's SF_FORMAT_* major | subtype, `channels` interleaved.
  SoundFileWriter(Loop& loop, std::filesystem::path path, int sf_format, int rate, int channels);
  ~SoundFileWriter();
  SoundFileWriter(const SoundFileWriter&) = delete;
  SoundFileWriter& operator=(const SoundFileWriter&) = delete;

  // Frames of `channels` interleaved samples. Never blocks.
  void write(std::span<const int16_t> interleaved);
  // Writes what is left and closes the file; `done` runs on the loop with the outcome (the
  // first error opening or writing, naming the file). Once; later calls do nothing.
  void close(std::function<void(Result<void>)> done = {});
  // The first error so far, empty while all is well.
  const std::string& error() const;
  const std::filesystem::path& path() const;

 private:
  struct Shared;
  struct Job;
  std::shared_ptr<Shared> shared_;
};

}  // namespace zvon::record
