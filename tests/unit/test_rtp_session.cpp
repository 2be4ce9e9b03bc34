// RtpSession on a real libuv loop driven by the test thread, with plain UDP sockets on
// 127.0.0.1 standing in for the phones at both ends.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "test_media_support.h"
#include "zvon/loop.h"
#include "zvon/rtp.h"

using namespace zvon;
using namespace std::chrono_literals;

namespace {

// A Loop run by hand on the test's thread.
class ManualLoop final : public Loop {
 public:
  ManualLoop() { uv_loop_init(&loop_); }
  ~ManualLoop() override {
    uv_run(&loop_, UV_RUN_NOWAIT);  // lets closed handles finish closing
    uv_loop_close(&loop_);
  }
  uv_loop_t* uv() override { return &loop_; }
  void post(std::function<void()> fn) override { posted_.push_back(std::move(fn)); }
  bool in_loop_thread() const override { return true; }
  void run_sync(std::function<void()> fn) override { fn(); }
  const std::string& name() const override { return name_; }

  // Runs the loop until `done()` or `limit` passes; true when done.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds limit = 2000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      auto work = std::move(posted_);
      for (auto& f : work) f();
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  void spin(std::chrono::milliseconds how_long) {
    run_until([] { return false; }, how_long);
  }

 private:
  uv_loop_t loop_{};
  std::vector<std::function<void()>> posted_;
  std::string name_ = "test";
};

// What a Bridge side does: relay every packet into another endpoint.
struct RelayInto final : MediaReceiver {
  MediaEndpoint* to = nullptr;
  int seen = 0;
  void on_rtp(MediaEndpoint& from, const RtpPacket& packet) override {
    ++seen;
    if (to) to->relay(packet, from);
  }
};

std::unique_ptr<RtpSession> open_session(Loop& loop, RtpPortRange range = {30000, 40000}) {
  auto s = RtpSession::open(loop, "127.0.0.1", range);
  if (!s) FAIL(s.message());
  return std::move(s.value());
}

// Collects what a phone receives while the loop runs.
std::vector<test::UdpPhone::Datagram> collect(ManualLoop& loop, test::UdpPhone& phone, size_t count,
                                              std::chrono::milliseconds limit = 2000ms) {
  std::vector<test::UdpPhone::Datagram> got;
  loop.run_until([&] {
    while (auto d = phone.receive()) got.push_back(std::move(*d));
    return got.size() >= count;
  }, limit);
  return got;
}

RtpPacket view(test::UdpPhone::Datagram& d) { return RtpPacket(d.data.data(), d.data.size()); }

}  // namespace

TEST_CASE("rtp session: binds even ports in the range and says when none is free", "[rtp]") {
  ManualLoop loop;
  auto a = open_session(loop, {31000, 31003});
  auto b = open_session(loop, {31000, 31003});
  CHECK(a->local_port() % 2 == 0);
  CHECK(b->local_port() % 2 == 0);
  CHECK(a->local_port() != b->local_port());
  CHECK(a->local_port() >= 31000);
  CHECK(b->local_port() <= 31002);
  CHECK(a->local_address() == "127.0.0.1");
  auto c = RtpSession::open(loop, "127.0.0.1", {31000, 31003});
  REQUIRE_FALSE(c);
  CHECK_THAT(c.message(), Catch::Contains("no free RTP port"));
  auto bad = RtpSession::open(loop, "not-an-address", {31000, 31003});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("not-an-address"));
  auto odd = RtpSession::open(loop, "127.0.0.1", {31001, 31001});
  CHECK_FALSE(odd);
}

TEST_CASE("rtp session: relays between two legs, transcoding u-law to A-law", "[rtp]") {
  ManualLoop loop;
  test::TestG711 ulaw(true), alaw(false);
  test::UdpPhone phone_a, phone_b;
  auto a = open_session(loop);
  auto b = open_session(loop);
  a->set_codec(test::pin(ulaw), 0, 101);
  b->set_codec(test::pin(alaw), 8, 96);
  REQUIRE(a->set_remote("127.0.0.1", phone_a.port()));
  // B's SDP names a port nobody listens on: B must latch onto where phone B really sends from.
  REQUIRE(b->set_remote("127.0.0.1", 9));
  RelayInto a_to_b, b_to_a;
  a_to_b.to = b.get();
  b_to_a.to = a.get();
  a->set_receiver(&a_to_b);
  b->set_receiver(&b_to_a);
  std::vector<char> digits;
  a->set_dtmf_listener([&](char d, DtmfSource) { digits.push_back(d); });

  // Phone B speaks first: symmetric RTP latches B onto phone B's address.
  std::vector<uint8_t> alaw_silence(160, 0xd5);
  phone_b.send_to(b->local_port(), test::make_rtp({.pt = 8, .seq = 1, .ts = 50, .ssrc = 0xbbbb}, alaw_silence));
  auto at_a = collect(loop, phone_a, 1);
  REQUIRE(at_a.size() == 1);
  CHECK(at_a[0].from_port == a->local_port());
  CHECK(view(at_a[0]).payload_type() == 0);
  CHECK(view(at_a[0]).payload()[0] == g711::alaw_to_ulaw(0xd5));

  // Phone A sends 5 u-law frames; phone B gets them as A-law from B's port.
  auto tone = test::sine(1000, 8000, 800);
  std::vector<uint8_t> coded(800);
  g711::encode_ulaw(tone, coded);
  const uint32_t ssrc_in = 0x1234;
  for (int i = 0; i < 5; ++i) {
    std::span<const uint8_t> frame(coded.data() + 160 * i, 160);
    phone_a.send_to(a->local_port(),
                    test::make_rtp({.pt = 0, .marker = i == 0, .seq = uint16_t(65534 + i),
                                    .ts = uint32_t(4294967000u + 160 * i), .ssrc = ssrc_in}, frame));
  }
  auto at_b = collect(loop, phone_b, 5);
  REQUIRE(at_b.size() == 5);
  uint32_t out_ssrc = view(at_b[0]).ssrc();
  CHECK(out_ssrc != ssrc_in);
  CHECK(view(at_b[0]).marker());
  for (size_t i = 0; i < at_b.size(); ++i) {
    auto p = view(at_b[i]);
    REQUIRE(p.valid());
    CHECK(at_b[i].from_port == b->local_port());
    CHECK(p.payload_type() == 8);
    CHECK(p.ssrc() == out_ssrc);
    if (i > 0) {
      CHECK(uint16_t(p.seq() - view(at_b[i - 1]).seq()) == 1);
      CHECK(p.timestamp() - view(at_b[i - 1]).timestamp() == 160);
      CHECK_FALSE(p.marker());
    }
    REQUIRE(p.payload().size() == 160);
    for (size_t k = 0; k < 160; ++k)
      REQUIRE(p.payload()[k] == g711::ulaw_to_alaw(coded[160 * i + k]));
  }

  // RFC 4733 '7' from phone A: A's listener hears it once; phone B gets every packet with B's
  // telephone-event payload type and the event unchanged.
  for (int i = 0; i < 5; ++i) {
    bool end = i >= 2;
    std::vector<uint8_t> ev{7, uint8_t(end ? 0x8a : 0x0a), 0x01, uint8_t(0x40 + i)};
    phone_a.send_to(a->local_port(),
                    test::make_rtp({.pt = 101, .marker = i == 0, .seq = uint16_t(3 + i),
                                    .ts = 4294967000u + 800, .ssrc = ssrc_in}, ev));
  }
  auto events = collect(loop, phone_b, 5);
  REQUIRE(events.size() == 5);
  CHECK(digits == std::vector<char>{'7'});
  for (auto& d : events) {
    auto p = view(d);
    CHECK(p.payload_type() == 96);
    CHECK(p.ssrc() == out_ssrc);
    CHECK(p.payload()[0] == 7);
    CHECK(p.timestamp() == view(at_b[4]).timestamp() + 160);
  }
  CHECK(view(events[0]).marker());
  CHECK(uint16_t(view(events[0]).seq() - view(at_b[4]).seq()) == 1);

  // A new source (another SSRC, unrelated timestamps): our stream goes on with the same SSRC,
  // the next sequence number, a timestamp a little later, and the marker set.
  loop.spin(40ms);
  phone_a.send_to(a->local_port(), test::make_rtp({.pt = 0, .seq = 9, .ts = 77, .ssrc = 0x9999},
                                                  std::span<const uint8_t>(coded.data(), 160)));
  auto after = collect(loop, phone_b, 1);
  REQUIRE(after.size() == 1);
  auto p = view(after[0]);
  CHECK(p.ssrc() == out_ssrc);
  CHECK(p.marker());
  CHECK(uint16_t(p.seq() - view(events[4]).seq()) == 1);
  uint32_t gap = p.timestamp() - view(events[4]).timestamp();
  CHECK(gap >= 8 * 40);
  CHECK(gap < 8 * 1000);

  // Our own audio continues the same stream the same way.
  auto pcm = test::sine(500, 8000, 160);
  b->send_audio(pcm);
  b->send_audio(pcm);
  auto own = collect(loop, phone_b, 2);
  REQUIRE(own.size() == 2);
  CHECK(view(own[0]).marker());
  CHECK(view(own[0]).ssrc() == out_ssrc);
  CHECK(uint16_t(view(own[0]).seq() - p.seq()) == 1);
  CHECK(view(own[1]).timestamp() - view(own[0]).timestamp() == 160);
  std::vector<uint8_t> expect(160);
  g711::encode_alaw(pcm, expect);
  CHECK(std::equal(expect.begin(), expect.end(), view(own[1]).payload().begin()));

  CHECK(a->stats().packets_received == 5 + 5 + 1);
  CHECK(b->stats().packets_received == 1);
  CHECK(b->stats().packets_sent == 5 + 5 + 1 + 2);
  CHECK(a->stats().packets_sent == 1);
}

TEST_CASE("rtp session: garbage is dropped and strangers cannot steal a latched stream", "[rtp]") {
  ManualLoop loop;
  test::TestG711 ulaw(true);
  test::UdpPhone phone, stranger;
  auto s = open_session(loop);
  s->set_codec(test::pin(ulaw), 0, -1);
  RelayInto echo;  // Echo: back into the same session
  echo.to = s.get();
  s->set_receiver(&echo);
  REQUIRE(s->set_remote("127.0.0.1", phone.port()));

  std::vector<uint8_t> junk{1, 2, 3, 4, 5};
  phone.send_to(s->local_port(), junk);
  std::vector<uint8_t> bad_version(40, 0x40);
  phone.send_to(s->local_port(), bad_version);
  std::vector<uint8_t> payload(160, 0xff);
  phone.send_to(s->local_port(), test::make_rtp({.pt = 0, .seq = 1, .ts = 0, .ssrc = 1}, payload));
  auto echoed = collect(loop, phone, 1);
  REQUIRE(echoed.size() == 1);
  CHECK(s->stats().packets_received == 1);
  CHECK(echo.seen == 1);

  // Another address with another stream while the phone is talking: dropped.
  stranger.send_to(s->local_port(), test::make_rtp({.pt = 0, .seq = 1, .ts = 0, .ssrc = 666}, payload));
  loop.spin(50ms);
  CHECK(echo.seen == 1);
  CHECK_FALSE(stranger.receive());
  // The phone's own stream keeps flowing back to the phone.
  phone.send_to(s->local_port(), test::make_rtp({.pt = 0, .seq = 2, .ts = 160, .ssrc = 1}, payload));
  CHECK(collect(loop, phone, 1).size() == 1);
  // Packets of a payload type not negotiated are not relayed.
  phone.send_to(s->local_port(), test::make_rtp({.pt = 13, .seq = 3, .ts = 320, .ssrc = 1}, payload));
  loop.spin(50ms);
  CHECK_FALSE(phone.receive());
}
