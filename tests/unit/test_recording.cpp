// Recording's parts: the file formats a name asks for, the decoding seam (LegDecoder) under
// loss, lateness and digits, and the threadpool writer, including a writer dropped mid-way
// (a hang-up) and a file it cannot write.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "leg_decoder.h"
#include "media/sound_file.h"
#include "recording_format.h"
#include "sound_file_writer.h"
#include "test_core.h"
#include "test_media_support.h"

using namespace zvon;
using namespace zvon::record;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The endpoint a LegDecoder asks about codec and payload types.
struct FakeEndpoint final : MediaEndpoint {
  Codec* codec_ = nullptr;
  const Codec* codec() const override { return codec_; }
  Pinned<Codec> pinned_codec() const override { return test::pin(*codec_); }
  int audio_payload_type() const override { return 0; }
  int dtmf_payload_type() const override { return 101; }
  void set_receiver(MediaReceiver*) override {}
  void relay(const RtpPacket&, const MediaEndpoint&) override {}
  void send_audio(std::span<const int16_t>, int) override {}
  void add_tap(MediaTap*) override {}
  void remove_tap(MediaTap*) override {}
};

void push_ulaw(LegDecoder& leg, FakeEndpoint& ep, uint16_t seq, std::span<const int16_t> pcm, int pt = 0) {
  std::vector<uint8_t> payload(pcm.size());
  g711::encode_ulaw(pcm, payload);
  auto bytes = test::make_rtp({pt, false, seq, uint32_t(seq) * 160u, 0x1234}, payload);
  leg.push(ep, RtpPacket(bytes.data(), bytes.size()), 0);
}

}  // namespace

TEST_CASE("recording formats: the extension picks the format, the name the place", "[record]") {
  CHECK(recording_format_for("msg.wav")->extension == ".wav");
  CHECK(recording_format_for("msg.ulaw.wav")->fixed_rate == 8000);
  CHECK(recording_format_for("a/b/msg.alaw.wav")->extension == ".alaw.wav");
  CHECK(recording_format_for("call.flac")->fixed_rate == 0);
  CHECK(recording_format_for("call.opus")->description == "Ogg/Opus");
  auto mp3 = recording_format_for("call.mp3");
  REQUIRE_FALSE(mp3);
  CHECK_THAT(mp3.message(), Catch::Contains("call.mp3") && Catch::Contains(".flac"));
  REQUIRE_FALSE(recording_format_for(".wav"));  // no name before it

  const int opus[] = {48000, 16000, 8000};
  CHECK(recording_rate(*recording_format_for("x.wav"), opus) == 48000);
  CHECK(recording_rate(*recording_format_for("x.ulaw.wav"), opus) == 8000);
  CHECK(recording_rate(*recording_format_for("x.flac"), {}) == 8000);

  CHECK(*recording_path("/var/zvon", "day/msg.wav") == fs::path("/var/zvon/recordings/day/msg.wav"));
  CHECK(*recording_path("/var/zvon", "/tmp/msg.wav") == fs::path("/tmp/msg.wav"));
  auto escape = recording_path("/var/zvon", "../../etc/msg.wav");
  REQUIRE_FALSE(escape);
  CHECK_THAT(escape.message(), Catch::Contains("may not leave"));
  CHECK(without_extension("/r/msg.ulaw.wav", *recording_format_for("msg.ulaw.wav")) == "/r/msg");
}

TEST_CASE("leg decoder: RTP in, 20 ms frames out; losses filled, late packets and digits left out", "[record]") {
  test::TestG711 ulaw(true);
  FakeEndpoint ep;
  ep.codec_ = &ulaw;
  LegDecoder leg(8000, false);
  auto tone = test::sine(1000, 8000, 160 * 10);
  auto packet = [&](int i) { return std::span<const int16_t>(tone).subspan(size_t(i) * 160, 160); };
  push_ulaw(leg, ep, 100, packet(0));
  push_ulaw(leg, ep, 101, packet(1));
  CHECK(leg.frames_queued() == 2);
  push_ulaw(leg, ep, 103, packet(3));  // 102 lost: concealed (here: silence), time kept
  CHECK(leg.frames_queued() == 4);
  push_ulaw(leg, ep, 102, packet(2));  // late: dropped
  push_ulaw(leg, ep, 104, packet(4), 101);  // a telephone-event: not audio
  CHECK(leg.frames_queued() == 4);

  std::vector<int16_t> frame(160);
  REQUIRE(leg.pop(frame));
  CHECK(test::tone_fraction(frame, 1000, 8000) > 0.95);
  REQUIRE(leg.pop(frame));
  REQUIRE(leg.pop(frame));  // the lost one
  REQUIRE(leg.pop(frame));
  CHECK(test::tone_fraction(frame, 1000, 8000) > 0.95);
  CHECK_FALSE(leg.pop(frame));

  // A recording at 16 kHz of an 8 kHz-only codec (a re-INVITE mid-call): interpolated.
  LegDecoder wide(16000, false);
  push_ulaw(wide, ep, 7, packet(5));
  push_ulaw(wide, ep, 8, packet(6));
  CHECK(wide.frames_queued() == 2);
  std::vector<int16_t> wide_frame(320);
  REQUIRE(wide.pop(wide_frame));
  REQUIRE(wide.pop(wide_frame));
  CHECK(test::tone_fraction(wide_frame, 1000, 16000) > 0.9);
}

namespace {

struct WriterFixture {
  test::TestCore core;
  Loop& loop() { return core->loops().worker(0); }
  fs::path dir() { return core.dir() / "var" / "recordings"; }
};

}  // namespace

TEST_CASE("sound file writer: writes on the threadpool, closes, reports; a dropped writer still finishes", "[record]") {
  WriterFixture f;
  auto tone = test::sine(700, 16000, 16000);
  std::promise<std::string> closed;
  std::unique_ptr<SoundFileWriter> writer;
  f.loop().run_sync([&] {
    writer = std::make_unique<SoundFileWriter>(f.loop(), f.dir() / "a" / "tone.flac",
                                               recording_format_for("x.flac")->sf_format, 16000, 1);
    for (size_t i = 0; i < tone.size(); i += 320) writer->write(std::span<const int16_t>(tone).subspan(i, 320));
    writer->close([&](Result<void> r) { closed.set_value(r ? "" : r.message()); });
  });
  auto outcome = closed.get_future();
  REQUIRE(outcome.wait_for(5s) == std::future_status::ready);
  CHECK(outcome.get().empty());
  auto back = read_sound_file(f.dir() / "a" / "tone.flac", 0);
  REQUIRE(back);
  CHECK(back->rate == 16000);
  CHECK(back->samples.size() == tone.size());
  CHECK(test::tone_fraction(std::span<const int16_t>(back->samples).subspan(1600, 8000), 700, 16000) > 0.99);

  // Dropped without close(), as a hang-up does: the file is still written whole and valid.
  f.loop().run_sync([&] {
    writer = std::make_unique<SoundFileWriter>(f.loop(), f.dir() / "dropped.wav",
                                               recording_format_for("x.wav")->sf_format, 8000, 1);
    writer->write(std::span<const int16_t>(tone).first(8000));
    writer.reset();
  });
  Result<Sound> dropped = make_error("not yet");
  for (int i = 0; i < 100 && !(dropped = read_sound_file(f.dir() / "dropped.wav", 0)); ++i)
    std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 100 && dropped && dropped->samples.size() < 8000; ++i) {
    std::this_thread::sleep_for(20ms);
    dropped = read_sound_file(f.dir() / "dropped.wav", 0);
  }
  REQUIRE(dropped);
  CHECK(dropped->samples.size() == 8000);

  // A place it cannot write: the error names the file.
  std::promise<std::string> failed;
  f.loop().run_sync([&] {
    writer = std::make_unique<SoundFileWriter>(f.loop(), "/proc/zvon-no/such.wav",
                                               recording_format_for("x.wav")->sf_format, 8000, 1);
    writer->write(std::span<const int16_t>(tone).first(4000));
    writer->close([&](Result<void> r) { failed.set_value(r ? "" : r.message()); });
  });
  auto failure = failed.get_future();
  REQUIRE(failure.wait_for(5s) == std::future_status::ready);
  CHECK_THAT(failure.get(), Catch::Contains("/proc/zvon-no/such.wav"));
  f.loop().run_sync([&] { writer.reset(); });
}
