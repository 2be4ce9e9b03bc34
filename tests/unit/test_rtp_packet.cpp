#include <catch2/catch.hpp>

#include <vector>

#include "media/telephone_event.h"
#include "test_media_support.h"
#include "zvon/media.h"

using namespace zvon;

namespace {

RtpPacket view(std::vector<uint8_t>& bytes) { return RtpPacket(bytes.data(), bytes.size()); }

}  // namespace

TEST_CASE("rtp packet: a plain packet parses", "[rtp]") {
  std::vector<uint8_t> payload(160, 0xd5);
  auto bytes = test::make_rtp({.pt = 8, .marker = true, .seq = 0xabcd, .ts = 0x01020304, .ssrc = 0xdeadbeef}, payload);
  auto p = view(bytes);
  REQUIRE(p.valid());
  CHECK(p.payload_type() == 8);
  CHECK(p.marker());
  CHECK(p.seq() == 0xabcd);
  CHECK(p.timestamp() == 0x01020304);
  CHECK(p.ssrc() == 0xdeadbeef);
  CHECK(p.header_size() == 12);
  CHECK(p.payload().size() == 160);
  CHECK(p.payload()[0] == 0xd5);
}

TEST_CASE("rtp packet: CSRCs, extension and padding are skipped", "[rtp]") {
  std::vector<uint8_t> bytes = test::make_rtp({.pt = 0}, {});
  bytes[0] = 0x80 | 0x20 | 0x10 | 2;  // padding, extension, two CSRCs
  bytes.insert(bytes.end(), 8, 0x11);                    // CSRC list
  bytes.insert(bytes.end(), {0xbe, 0xde, 0x00, 0x01});   // extension header: one word
  bytes.insert(bytes.end(), {0x22, 0x22, 0x22, 0x22});   // extension data
  bytes.insert(bytes.end(), {0x7f, 0x7e, 0x7d});         // payload
  bytes.insert(bytes.end(), {0x00, 0x00, 0x03});         // padding, its count last
  auto p = view(bytes);
  REQUIRE(p.valid());
  CHECK(p.header_size() == 12 + 8 + 8);
  CHECK(p.padding_size() == 3);
  REQUIRE(p.payload().size() == 3);
  CHECK(p.payload()[0] == 0x7f);
  CHECK(p.payload()[2] == 0x7d);
}

TEST_CASE("rtp packet: malformed packets are invalid, never read past their end", "[rtp]") {
  SECTION("too short") {
    std::vector<uint8_t> b(11, 0x80);
    CHECK_FALSE(view(b).valid());
    std::vector<uint8_t> empty;
    CHECK_FALSE(RtpPacket(empty.data(), 0).valid());
  }
  SECTION("wrong version") {
    auto b = test::make_rtp({}, std::vector<uint8_t>(20));
    b[0] = 0x40;
    CHECK_FALSE(view(b).valid());
  }
  SECTION("CSRC count beyond the end") {
    auto b = test::make_rtp({}, std::vector<uint8_t>(8));
    b[0] = 0x80 | 15;  // 60 bytes of CSRCs claimed, 8 present
    CHECK_FALSE(view(b).valid());
  }
  SECTION("extension header cut off") {
    auto b = test::make_rtp({}, std::vector<uint8_t>(2));
    b[0] = 0x90;
    CHECK_FALSE(view(b).valid());
  }
  SECTION("extension length beyond the end") {
    auto b = test::make_rtp({}, std::vector<uint8_t>{0xbe, 0xde, 0xff, 0xff});
    b[0] = 0x90;
    CHECK_FALSE(view(b).valid());
  }
  SECTION("padding longer than the payload, or zero") {
    auto b = test::make_rtp({}, std::vector<uint8_t>{1, 2, 200});
    b[0] = 0xa0;
    CHECK_FALSE(view(b).valid());
    b.back() = 0;
    CHECK_FALSE(view(b).valid());
    b.back() = 3;
    REQUIRE(view(b).valid());
    CHECK(view(b).payload().empty());
  }
}

TEST_CASE("rfc 4733: telephone-event payloads parse", "[rtp][dtmf]") {
  std::vector<uint8_t> p{11, 0x80 | 10, 0x03, 0x20};
  auto e = parse_telephone_event(p);
  REQUIRE(e);
  CHECK(e->event == 11);
  CHECK(e->end);
  CHECK(e->volume == 10);
  CHECK(e->duration == 800);
  CHECK(dtmf_char(e->event) == '#');
  CHECK(dtmf_char(0) == '0');
  CHECK(dtmf_char(10) == '*');
  CHECK(dtmf_char(15) == 'D');
  CHECK(dtmf_char(16) == 0);  // flash is no key
  std::vector<uint8_t> short_payload{1, 2, 3};
  CHECK_FALSE(parse_telephone_event(short_payload));
}

TEST_CASE("rfc 4733: each digit is reported once, at its end", "[rtp][dtmf]") {
  DtmfReceiver rx;
  std::vector<char> digits;
  auto feed = [&](uint8_t event, bool end, uint16_t duration, uint32_t ts, uint32_t ssrc = 7) {
    std::vector<uint8_t> payload{event, uint8_t(end ? 0x8a : 0x0a), uint8_t(duration >> 8), uint8_t(duration)};
    auto bytes = test::make_rtp({.pt = 101, .ts = ts, .ssrc = ssrc}, payload);
    if (auto d = rx.on_packet(RtpPacket(bytes.data(), bytes.size()))) digits.push_back(*d);
  };
  // '5': start, progress, then the end packet three times (RFC 4733 2.5.1.4).
  feed(5, false, 160, 1000);
  feed(5, false, 320, 1000);
  feed(5, true, 480, 1000);
  feed(5, true, 480, 1000);
  feed(5, true, 480, 1000);
  CHECK(digits == std::vector<char>{'5'});
  // The same key again is a new event: a new timestamp.
  feed(5, false, 160, 3000);
  feed(5, true, 400, 3000);
  feed(5, true, 400, 3000);
  // '#', and a flash (no key) that is ignored.
  feed(11, true, 400, 5000);
  feed(16, true, 400, 7000);
  CHECK(digits == std::vector<char>{'5', '5', '#'});
  // A new stream (other SSRC) may reuse a timestamp.
  feed(1, true, 400, 5000, 8);
  CHECK(digits == std::vector<char>{'5', '5', '#', '1'});
}
