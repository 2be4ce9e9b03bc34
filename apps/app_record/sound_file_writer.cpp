#include "sound_file_writer.h"

#include <sndfile.h>

#include <system_error>
#include <utility>
#include <vector>

#include "zvon/log.h"

namespace zvon::record {

struct SoundFileWriter::Shared : std::enable_shared_from_this<Shared> {
  Loop& loop;
  const std::filesystem::path path;
  const int sf_format, rate, channels;
  const size_t batch;  // samples handed to a job at once: a quarter second

  // The threadpool's, one job at a time.
  SNDFILE* file = nullptr;
  bool open_tried = false;

  // The loop's.
  std::vector<int16_t> pending;
  bool busy = false;      // a job is out
  bool closing = false;   // close() was called
  bool closed = false;
  std::string error;
  std::function<void(Result<void>)> done;

  Shared(Loop& l, std::filesystem::path p, int format, int r, int ch)
      : loop(l), path(std::move(p)), sf_format(format), rate(r), channels(ch),
        batch(size_t(r) * size_t(ch) / 4) {}

  void pump();
  void finished(std::string job_error, bool closed_file);
};

struct SoundFileWriter::Job {
  uv_work_t req{};
  std::shared_ptr<Shared> shared;
  std::vector<int16_t> samples;
  bool close = false;
  std::string error;

  static void work(uv_work_t* req);  // a threadpool thread
  static void after(uv_work_t* req, int status);
  void open();
};

void SoundFileWriter::Job::open() {
  Shared& s = *shared;
  s.open_tried = true;
  std::error_code ec;
  std::filesystem::create_directories(s.path.parent_path(), ec);
  SF_INFO info{};
  info.samplerate = s.rate;
  info.channels = s.channels;
  info.format = s.sf_format;
  if (!sf_format_check(&info)) {
    error = "cannot record " + s.path.string() + ": the format does not take " +
            std::to_string(s.rate) + " Hz with " + std::to_string(s.channels) + " channels";
    return;
  }
  s.file = sf_open(s.path.c_str(), SFM_WRITE, &info);
  if (!s.file) {
    error = "cannot write " + s.path.string() + ": " + sf_strerror(nullptr) +
            (ec ? " (making its directory: " + ec.message() + ")" : "");
    return;
  }
  if ((s.sf_format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV)
    sf_command(s.file, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
}

void SoundFileWriter::Job::work(uv_work_t* req) {
  auto* job = static_cast<Job*>(req->data);
  Shared& s = *job->shared;
  if (!s.open_tried) job->open();
  if (s.file && !job->samples.empty()) {
    const sf_count_t frames = sf_count_t(job->samples.size()) / s.channels;
    if (sf_writef_short(s.file, job->samples.data(), frames) != frames)
      job->error = "writing " + s.path.string() + " failed: " + sf_strerror(s.file);
  }
  if (job->close && s.file) {
    if (sf_close(s.file) != 0 && job->error.empty())
      job->error = "closing " + s.path.string() + " failed";
    s.file = nullptr;
  }
}

void SoundFileWriter::Job::after(uv_work_t* req, int status) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  if (status != 0 && job->error.empty())
    job->error = "writing " + job->shared->path.string() + " was cancelled: " + uv_strerror(status);
  job->shared->finished(std::move(job->error), job->close);
}

void SoundFileWriter::Shared::finished(std::string job_error, bool closed_file) {
  busy = false;
  if (!job_error.empty() && error.empty()) {
    error = std::move(job_error);
    log(LogLevel::Warning, "app_record", error);
  }
  if (closed_file) {
    closed = true;
    if (done) {
      auto callback = std::move(done);
      callback(error.empty() ? Result<void>{} : Result<void>(make_error(error)));
    }
    return;
  }
  pump();
}

void SoundFileWriter::Shared::pump() {
  if (busy || closed) return;
  const bool last = closing;
  if (!last && pending.size() < batch) return;
  auto job = std::make_unique<Job>();
  job->req.data = job.get();
  job->shared = shared_from_this();
  job->samples = std::move(pending);
  pending.clear();
  job->close = last;
  const int r = uv_queue_work(loop.uv(), &job->req, &Job::work, &Job::after);
  if (r != 0) {
    // No threadpool (the loop is going away): nothing more can be written.
    closed = true;
    if (error.empty()) error = "cannot queue writing " + path.string() + ": " + uv_strerror(r);
    if (done) std::exchange(done, nullptr)(make_error(error));
    return;
  }
  busy = true;
  job.release();
}

SoundFileWriter::SoundFileWriter(Loop& loop, std::filesystem::path path, int sf_format, int rate,
                                 int channels)
    : shared_(std::make_shared<Shared>(loop, std::move(path), sf_format, rate, channels)) {}

SoundFileWriter::~SoundFileWriter() {
  shared_->done = nullptr;  // whoever waited is gone; the file is still finished
  close();
}

void SoundFileWriter::write(std::span<const int16_t> interleaved) {
  Shared& s = *shared_;
  if (s.closing || !s.error.empty()) return;
  s.pending.insert(s.pending.end(), interleaved.begin(), interleaved.end());
  s.pump();
}

void SoundFileWriter::close(std::function<void(Result<void>)> done) {
  Shared& s = *shared_;
  if (s.closing) return;
  s.closing = true;
  s.done = std::move(done);
  s.pump();
}

const std::string& SoundFileWriter::error() const { return shared_->error; }
const std::filesystem::path& SoundFileWriter::path() const { return shared_->path; }

}  // namespace zvon::record
