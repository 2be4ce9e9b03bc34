// Tone lists (apps/app_playtones/tone_list.cpp) as pure logic, then the real app_playtones,
// app_say and app_ivr modules sending audio to a UDP "phone" through an RtpSession: the
// phone hears the tone's frequency, the prompts of a number in order, and Background stopping
// at a key.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "test_core.h"
#include "test_media_support.h"
#include "tone_list.h"
#include "zvon/channel.h"
#include "zvon/rtp.h"

using namespace zvon;
using namespace zvon::tones;
using namespace std::chrono_literals;

TEST_CASE("tones: lists parse into parts", "[tones]") {
  auto ring = parse_tone_list("440+480/2000,0/4000");
  REQUIRE(ring);
  REQUIRE(ring->size() == 2);
  CHECK((*ring)[0].frequencies == std::vector<double>{440, 480});
  CHECK((*ring)[0].duration_ms == 2000);
  CHECK((*ring)[1].frequencies.empty());
  CHECK((*ring)[1].duration_ms == 4000);
  auto dial = parse_tone_list(" 425 ");
  REQUIRE(dial);
  CHECK(dial->size() == 1);
  CHECK((*dial)[0].duration_ms == 0);
  auto once = parse_tone_list("!950/330,!1400/330,!1800/330,0/1000");
  REQUIRE(once);
  CHECK((*once)[0].once);
  CHECK_FALSE((*once)[3].once);
}

TEST_CASE("tones: bad lists say which part and why", "[tones]") {
  auto check_error = [](std::string_view text, std::string_view needle) {
    auto r = parse_tone_list(text);
    INFO(text);
    REQUIRE_FALSE(r);
    INFO(r.message());
    CHECK(r.message().find(needle) != std::string::npos);
  };
  check_error("", "is empty");
  check_error("440/100,", "part 2");
  check_error("abc", "frequency");
  check_error("5000", "frequency");
  check_error("440+", "frequency");
  check_error("440+480+620", "at most two");
  check_error("440/0", "duration");
  check_error("440/x", "duration");
  check_error("440*20", "modulated");
  check_error("440,0/100", "no /duration");
}

TEST_CASE("tones: named tones by country", "[tones]") {
  CHECK(named_tone("busy", "ru") == "425/350,0/350");
  CHECK(named_tone("busy", "en") == "480+620/500,0/500");
  CHECK(named_tone("ring", "ru") == "425/800,0/3200");
  CHECK(named_tone("dial", "xx") == "350+440");
  CHECK(named_tone("congestion", "ru") == "425/175,0/175");
  CHECK(named_tone("nosuch", "ru").empty());
  for (auto name : {"dial", "ring", "busy", "congestion"})
    for (auto country : {"ru", "en"}) CHECK(parse_tone_list(named_tone(name, country)));
}

TEST_CASE("tones: the synthesizer follows the cadence", "[tones]") {
  ToneSynth synth(*parse_tone_list("440+480/100,0/100"));
  std::vector<int16_t> on(800), off(800), again(800);
  synth.fill(on);
  synth.fill(off);
  synth.fill(again);
  CHECK(test::tone_fraction(on, 440, 8000) + test::tone_fraction(on, 480, 8000) > 0.9);
  CHECK(std::all_of(off.begin(), off.end(), [](int16_t v) { return v == 0; }));
  CHECK(test::tone_fraction(again, 440, 8000) > 0.4);
  int16_t peak = 0;
  for (int16_t v : on) peak = std::max<int16_t>(peak, int16_t(std::abs(v)));
  CHECK(peak < 32767 / 2 + 10);  // two tones at a quarter scale each: no clipping
  CHECK_FALSE(synth.finished());

  ToneSynth once(*parse_tone_list("!1000/50"));
  std::vector<int16_t> a(400), b(400);
  once.fill(a);
  CHECK(once.finished());
  once.fill(b);
  CHECK(test::tone_fraction(a, 1000, 8000) > 0.9);
  CHECK(std::all_of(b.begin(), b.end(), [](int16_t v) { return v == 0; }));
}

// ---------------------------------------------------------------------------------------
// The modules with media.

namespace zvon::tones_test {

void write_tone_wav(const std::filesystem::path& path, double freq, size_t samples) {
  test::write_wav(path, test::sine(freq, 8000, samples), 8000);
}

// An answered channel whose audio goes to `phone`; runs one application at a time.
struct MediaFixture {
  test::TestCore core;
  test::TestG711 ulaw{true};
  test::UdpPhone phone;
  std::shared_ptr<Channel> channel;
  Task<AppResult> task;
  std::shared_ptr<std::promise<void>> done;

  Loop& loop() { return core->loops().worker(0); }

  explicit MediaFixture(std::vector<std::string_view> modules) {
    for (auto m : modules) {
      auto loaded = core->modules().load(test::module_path(m));
      if (!loaded) FAIL(loaded.message());
    }
    loop().run_sync([&] {
      channel = test::rtp_channel(core.core(), loop(), "caller", ulaw, 0, 101, phone.port());
      channel->answer();
    });
  }
  ~MediaFixture() {
    loop().run_sync([&] {
      task = {};
      if (!channel->hung_up()) channel->hangup(HangupCause::Normal);
      channel.reset();
    });
    std::this_thread::sleep_for(50ms);  // let players notice the channel is gone
  }

  // Runs app(args) on the channel; wait with finished().
  void run(std::string_view app, AppArgs args) {
    done = std::make_shared<std::promise<void>>();
    loop().run_sync([&] {
      auto found = core->find_application(app);
      REQUIRE(found);
      task = exec(std::move(found), *channel, std::move(args));
      task.start([d = done](std::exception_ptr) { d->set_value(); });
    });
  }
  static Task<AppResult> exec(Pinned<Application> app, Channel& ch, AppArgs args) {
    co_return co_await app->exec(ch, args);
  }
  // Waits for the application to return, then lets go of it (and of its module's pin).
  bool finished(std::chrono::milliseconds limit = 5s) {
    if (done->get_future().wait_for(limit) != std::future_status::ready) return false;
    loop().run_sync([&] { task = {}; });
    return true;
  }

  // The audio the phone receives until none comes for `quiet` (at most `limit`).
  std::vector<int16_t> hear(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) {
    std::vector<int16_t> pcm;
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto d = phone.receive(quiet);
      if (!d) break;
      RtpPacket p(d->data.data(), d->data.size());
      if (!p.valid() || p.payload_type() != 0) continue;
      for (uint8_t c : p.payload()) pcm.push_back(g711::decode_ulaw(c));
    }
    return pcm;
  }
};

}  // namespace zvon::tones_test

using zvon::tones_test::MediaFixture;

TEST_CASE("Playtones plays in the background until StopPlaytones", "[tones][media]") {
  MediaFixture f({"app_playtones"});
  f.run("Playtones", {"440+480"});
  REQUIRE(f.finished());  // the app returns at once; the tone goes on
  auto first = f.hear(300ms, 400ms);
  REQUIRE(first.size() >= 1600);
  std::span<const int16_t> body(first.data() + 160, first.size() - 160);
  CHECK(test::tone_fraction(body, 440, 8000) + test::tone_fraction(body, 480, 8000) > 0.8);

  // While it plays the module is in use.
  auto refused = f.core->modules().unload("app_playtones");
  CHECK_FALSE(refused);

  f.run("StopPlaytones", {});
  REQUIRE(f.finished());
  f.hear(100ms, 500ms);  // what was in flight
  CHECK(f.hear(200ms, 300ms).empty());
  auto unloaded = f.core->modules().unload("app_playtones");
  INFO((unloaded ? std::string() : unloaded.message()));
  CHECK(unloaded);
}

TEST_CASE("Playtones with a named tone and a comma-separated list", "[tones][media]") {
  MediaFixture f({"app_playtones"});
  f.run("Playtones", {"1000/200", "0/200"});  // the dialplan split the list at its comma
  REQUIRE(f.finished());
  auto pcm = f.hear(500ms, 900ms);
  REQUIRE(pcm.size() >= 4800);
  std::span<const int16_t> tone(pcm.data() + 160, 1200);
  std::span<const int16_t> silence(pcm.data() + 1600 + 160, 1200);
  CHECK(test::tone_fraction(tone, 1000, 8000) > 0.9);
  double energy = 0;
  for (int16_t v : silence) energy += std::abs(v);
  CHECK(energy / 1200 < 50);  // the pause in the cadence

  f.run("Playtones", {"busy"});  // English channel: 480+620
  REQUIRE(f.finished());
  f.hear(100ms, 300ms);
  auto busy = f.hear(600ms, 500ms);
  REQUIRE(busy.size() >= 2400);
  std::span<const int16_t> b(busy.data(), 2400);
  CHECK(test::tone_fraction(b, 480, 8000) + test::tone_fraction(b, 620, 8000) > 0.5);
}

TEST_CASE("Playtones stops when the channel hangs up", "[tones][media]") {
  MediaFixture f({"app_playtones"});
  f.run("Playtones", {"425"});
  REQUIRE(f.finished());
  CHECK(!f.hear(100ms, 200ms).empty());
  f.loop().run_sync([&] { f.channel->hangup(HangupCause::Normal); });
  f.hear(100ms, 500ms);
  CHECK(f.hear(200ms, 300ms).empty());
  // The player let go of the module by itself.
  bool unloaded = false;
  for (int i = 0; i < 50 && !unloaded; ++i) {
    unloaded = bool(f.core->modules().unload("app_playtones"));
    if (!unloaded) std::this_thread::sleep_for(20ms);
  }
  CHECK(unloaded);
}

TEST_CASE("SayNumber plays the Russian prompts of 21 in order", "[say][media]") {
  MediaFixture f({"app_say"});
  // Stand-in prompts: each word a tone of its own, so the phone can tell them apart.
  auto sounds = f.core->paths().sounds_dir;
  zvon::tones_test::write_tone_wav(sounds / "ru" / "num-20.wav", 500, 1600);
  zvon::tones_test::write_tone_wav(sounds / "ru" / "num-1.wav", 1500, 1600);
  zvon::tones_test::write_tone_wav(sounds / "ru" / "num-1f.wav", 2500, 1600);
  f.loop().run_sync([&] { f.channel->set_var("LANGUAGE", "ru"); });
  f.run("SayNumber", {"21"});
  REQUIRE(f.finished());
  auto pcm = f.hear(300ms, 2000ms);
  REQUIRE(pcm.size() >= 3000);
  std::span<const int16_t> first(pcm.data() + 200, 1200), second(pcm.data() + 1800, 1200);
  CHECK(test::tone_fraction(first, 500, 8000) > 0.9);
  CHECK(test::tone_fraction(second, 1500, 8000) > 0.9);

  f.run("SayNumber", {"21", "f"});  // двадцать одна
  REQUIRE(f.finished());
  auto fem = f.hear(300ms, 2000ms);
  REQUIRE(fem.size() >= 3000);
  std::span<const int16_t> last(fem.data() + 1800, 1200);
  CHECK(test::tone_fraction(last, 2500, 8000) > 0.9);
}

TEST_CASE("Background stops at a key and leaves it", "[ivr][media]") {
  MediaFixture f({"app_ivr"});
  auto sounds = f.core->paths().sounds_dir;
  zvon::tones_test::write_tone_wav(sounds / "en" / "long-menu.wav", 700, 8000 * 5);
  auto started = std::chrono::steady_clock::now();
  f.run("Background", {"long-menu"});
  CHECK(!f.hear(100ms, 300ms).empty());
  f.loop().run_sync([&] { f.channel->on_dtmf('5'); });
  REQUIRE(f.finished(2s));
  CHECK(std::chrono::steady_clock::now() - started < 2s);  // not the whole 5 s
  std::string pending;
  f.loop().run_sync([&] { pending = f.channel->pending_digits(); });
  CHECK(pending == "5");
}
