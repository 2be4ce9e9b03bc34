// play_file() on a real core: a channel whose driver owns an RtpSession, a WAV written by the
// test, and a UDP socket as the phone that receives the frames.
#include <catch2/catch.hpp>

#include <fstream>
#include <future>

#include "media/resample.h"
#include "media/sound_file.h"
#include "test_core.h"
#include "test_media_support.h"
#include "zvon/bridge.h"
#include "zvon/channel.h"
#include "zvon/playback.h"
#include "zvon/rtp.h"

using namespace zvon;
using namespace std::chrono_literals;

namespace {

using test::RtpDriver;
using test::write_wav;

struct Fixture {
  test::TestCore core;
  test::TestG711 ulaw{true};
  test::UdpPhone phone;
  std::shared_ptr<Channel> channel;
  RtpDriver* driver = nullptr;
  Task<> task;
  std::promise<void> done;

  Loop& loop() { return core->loops().worker(0); }

  Fixture() {
    loop().run_sync([&] {
      channel = test::rtp_channel(core.core(), loop(), "caller", ulaw, 0, 101, phone.port());
      driver = static_cast<RtpDriver*>(channel->driver());
    });
  }
  ~Fixture() {
    loop().run_sync([&] {
      task = {};
      channel.reset();
    });
  }

  // Starts `body(channel, args...)` as the channel's coroutine. `body` must capture nothing:
  // a coroutine lambda's captures die with the lambda object, before the coroutine ends.
  template <class F, class... Args>
  void start(F body, Args&... args) {
    static_assert(std::is_empty_v<F>, "pass state as arguments, not captures");
    loop().run_sync([&] {
      task = body(*channel, args...);
      task.start([this](std::exception_ptr) { done.set_value(); });
    });
  }
  bool finished(std::chrono::milliseconds limit) {
    return done.get_future().wait_for(limit) == std::future_status::ready;
  }

  // Every packet the phone receives until none come for `quiet`, at most `limit` in all.
  std::vector<test::UdpPhone::Datagram> receive_all(std::chrono::milliseconds quiet = 300ms,
                                                    std::chrono::milliseconds limit = 5000ms) {
    std::vector<test::UdpPhone::Datagram> got;
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto d = phone.receive(quiet);
      if (!d) break;
      got.push_back(std::move(*d));
    }
    return got;
  }
};

std::vector<int16_t> decode_all(std::vector<test::UdpPhone::Datagram>& packets) {
  std::vector<int16_t> pcm;
  for (auto& d : packets) {
    RtpPacket p(d.data.data(), d.data.size());
    for (uint8_t c : p.payload()) pcm.push_back(g711::decode_ulaw(c));
  }
  return pcm;
}

}  // namespace

TEST_CASE("resample: a tone keeps its frequency and level, and nothing aliases", "[media]") {
  auto in = test::sine(1000, 16000, 16000);
  auto out = resample(in, 16000, 8000);
  REQUIRE(out.size() == 8000);
  std::span<const int16_t> middle(out.data() + 400, 7200);  // away from the edges
  CHECK(test::tone_fraction(middle, 1000, 8000) > 0.99);
  double peak = 0;
  for (int16_t v : middle) peak = std::max(peak, std::abs(double(v)));
  CHECK(peak == Approx(0.5 * 32767).epsilon(0.03));

  // 6 kHz is above 8 kHz's Nyquist: it must be filtered out, not folded down to 2 kHz.
  auto high = test::sine(6000, 44100, 44100);
  auto down = resample(high, 44100, 8000);
  double energy = 0;
  for (size_t i = 400; i + 400 < down.size(); ++i) energy += double(down[i]) * down[i];
  double rms = std::sqrt(energy / double(down.size() - 800));
  CHECK(rms < 0.5 * 32767 / std::sqrt(2.0) * 0.01);  // at least 40 dB down
}

TEST_CASE("sound file: other rates and stereo are read as 8 kHz mono", "[media]") {
  auto dir = std::filesystem::temp_directory_path() / ("zvon-sound-" + std::to_string(::getpid()));
  auto tone = test::sine(1000, 16000, 8000);  // 0.5 s at 16 kHz
  write_wav(dir / "t16.wav", tone, 16000);
  auto s = read_sound_file(dir / "t16.wav");
  REQUIRE(s);
  CHECK(s->samples.size() == 4000);
  CHECK(test::tone_fraction(std::span<const int16_t>(s->samples).subspan(200, 3600), 1000, 8000) > 0.99);

  std::ofstream(dir / "junk.wav") << "this is not a sound file";
  auto junk = read_sound_file(dir / "junk.wav");
  REQUIRE_FALSE(junk);
  CHECK_THAT(junk.message(), Catch::Contains("junk.wav"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("play_file: plays a prompt in 20 ms frames, falling back to English", "[media]") {
  Fixture f;
  auto tone = test::sine(1000, 16000, 8000);  // 0.5 s at 16 kHz: resampled on the way
  write_wav(f.core.dir() / "sounds" / "en" / "beep.wav", tone, 16000);
  std::optional<Result<PlaybackEnd>> result;
  auto started = std::chrono::steady_clock::now();
  f.start([](Channel& ch, std::optional<Result<PlaybackEnd>>& result) -> Task<> {
    ch.set_var("LANGUAGE", "ru");  // no ru/beep.wav: en/beep.wav is played
    result = co_await play_file(ch, "beep");
  }, result);
  REQUIRE(f.finished(5s));
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(result);
  REQUIRE(result->ok());
  CHECK(result->value() == PlaybackEnd::Finished);
  CHECK(took >= 450ms);  // paced in real time, not blasted out

  auto packets = f.receive_all();
  REQUIRE(packets.size() == 25);
  for (size_t i = 0; i < packets.size(); ++i) {
    RtpPacket p(packets[i].data.data(), packets[i].data.size());
    REQUIRE(p.valid());
    CHECK(p.payload_type() == 0);
    CHECK(p.payload().size() == 160);
    if (i > 0) {
      RtpPacket prev(packets[i - 1].data.data(), packets[i - 1].data.size());
      CHECK(uint16_t(p.seq() - prev.seq()) == 1);
      CHECK(p.timestamp() - prev.timestamp() == 160);
    }
  }
  auto pcm = decode_all(packets);
  CHECK(test::tone_fraction(std::span<const int16_t>(pcm).subspan(400, 3200), 1000, 8000) > 0.95);

  // The second play of the same file comes from the cache.
  CHECK(f.core->sound_cache()->size() == 1);
}

TEST_CASE("play_file: a missing file or a channel without media fails with a reason", "[media]") {
  Fixture f;
  std::vector<std::string> errors;
  f.start([](Channel& ch, std::vector<std::string>& errors) -> Task<> {
    auto missing = co_await play_file(ch, "no-such-prompt");
    if (!missing) errors.push_back(missing.message());
    auto escape = co_await play_file(ch, "../../etc/passwd");
    if (!escape) errors.push_back(escape.message());
    static_cast<RtpDriver*>(ch.driver())->has_media = false;
    auto no_media = co_await play_file(ch, "beep");
    if (!no_media) errors.push_back(no_media.message());
  }, errors);
  REQUIRE(f.finished(5s));
  REQUIRE(errors.size() == 3);
  CHECK_THAT(errors[0], Catch::Contains("no-such-prompt.wav"));
  CHECK_THAT(errors[1], Catch::Contains("may not leave the sounds directory"));
  CHECK_THAT(errors[2], Catch::Contains("no media"));
}

TEST_CASE("play_file: an interrupt digit stops it and stays pending", "[media]") {
  Fixture f;
  write_wav(f.core.dir() / "sounds" / "en" / "long.wav", test::sine(440, 8000, 8000 * 3), 8000);
  std::optional<Result<PlaybackEnd>> result;
  f.start([](Channel& ch, std::optional<Result<PlaybackEnd>>& result) -> Task<> {
    result = co_await play_file(ch, "long", PlaybackOptions{"#"});
  }, result);
  std::this_thread::sleep_for(200ms);
  f.loop().run_sync([&] { f.channel->on_dtmf('1'); });  // not an interrupt digit
  std::this_thread::sleep_for(100ms);
  f.loop().run_sync([&] { f.channel->on_dtmf('#'); });
  REQUIRE(f.finished(2s));
  REQUIRE(result);
  REQUIRE(result->ok());
  CHECK(result->value() == PlaybackEnd::Interrupted);
  f.loop().run_sync([&] { CHECK(f.channel->pending_digits() == "1#"); });
  auto packets = f.receive_all(200ms);
  CHECK(packets.size() >= 10);
  CHECK(packets.size() < 40);  // far from the 150 frames of the whole file
}

TEST_CASE("play_file: hang-up unwinds it and the frames stop", "[media]") {
  Fixture f;
  write_wav(f.core.dir() / "sounds" / "en" / "long.wav", test::sine(440, 8000, 8000 * 3), 8000);
  bool hung_up = false;
  f.start([](Channel& ch, bool& hung_up) -> Task<> {
    try {
      (void)co_await play_file(ch, "long");
    } catch (const ChannelHungUp&) {
      hung_up = true;
    }
  }, hung_up);
  std::this_thread::sleep_for(200ms);
  f.loop().run_sync([&] { f.channel->on_hangup(HangupCause::Normal); });
  REQUIRE(f.finished(2s));
  CHECK(hung_up);
  auto before = f.receive_all(100ms);
  CHECK(before.size() >= 5);
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(f.phone.receive());  // the player's timer is gone
}

TEST_CASE("bridge: joins two channels' media and leaves them clean", "[media]") {
  test::TestCore core;
  test::TestG711 ulaw(true), alaw(false);
  test::UdpPhone phone_a, phone_b;
  std::shared_ptr<Channel> a, b;
  std::unique_ptr<Bridge> bridge;
  std::vector<std::string> events;
  std::mutex events_mutex;
  auto sub = core->events().subscribe([&](const Event& e) {
    if (e.type.rfind("Bridge", 0) == 0) {
      std::lock_guard lock(events_mutex);
      events.push_back(e.type);
    }
  });
  Loop& loop = core->loops().worker(0);
  uint16_t port_a = 0, port_b = 0;
  loop.run_sync([&] {
    a = test::rtp_channel(core.core(), loop, "a", ulaw, 0, -1, phone_a.port());
    b = test::rtp_channel(core.core(), loop, "b", alaw, 8, -1, phone_b.port());
    port_a = static_cast<RtpSession*>(a->media())->local_port();
    port_b = static_cast<RtpSession*>(b->media())->local_port();
    bridge = std::make_unique<Bridge>(*a, *b);
  });
  std::vector<uint8_t> frame(160, 0x80);
  phone_a.send_to(port_a, test::make_rtp({.pt = 0, .seq = 1, .ts = 0, .ssrc = 5}, frame));
  auto at_b = phone_b.receive(1000ms);
  REQUIRE(at_b);
  RtpPacket p(at_b->data.data(), at_b->data.size());
  CHECK(p.payload_type() == 8);
  CHECK(p.payload()[0] == g711::ulaw_to_alaw(0x80));
  CHECK(at_b->from_port == port_b);
  phone_b.send_to(port_b, test::make_rtp({.pt = 8, .seq = 1, .ts = 0, .ssrc = 6}, frame));
  auto at_a = phone_a.receive(1000ms);
  REQUIRE(at_a);
  CHECK(at_a->from_port == port_a);

  loop.run_sync([&] { bridge.reset(); });
  phone_a.send_to(port_a, test::make_rtp({.pt = 0, .seq = 2, .ts = 160, .ssrc = 5}, frame));
  CHECK_FALSE(phone_b.receive(200ms));  // no longer joined
  loop.run_sync([&] {
    a.reset();
    b.reset();
  });
  std::lock_guard lock(events_mutex);
  CHECK(events == std::vector<std::string>{"BridgeEnter", "BridgeLeave"});
}
