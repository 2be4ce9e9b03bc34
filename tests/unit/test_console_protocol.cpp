// The console's frames: what the daemon and `zvon -r` exchange (console/console_protocol.h).
#include <catch2/catch.hpp>

#include "console/console_protocol.h"

using namespace zvon::console;

TEST_CASE("console frames round-trip, whole and byte by byte", "[console]") {
  std::string stream = encode_frame(FrameType::Run, "core show channels");
  append_frame(stream, FrameType::Complete, "");
  append_frame(stream, FrameType::Logs, "1");

  SECTION("whole") {
    FrameReader r(kMaxRequestPayload);
    r.feed(stream);
    auto a = r.next();
    REQUIRE(a);
    CHECK(a->type == FrameType::Run);
    CHECK(a->payload == "core show channels");
    auto b = r.next();
    REQUIRE(b);
    CHECK(b->type == FrameType::Complete);
    CHECK(b->payload.empty());
    auto c = r.next();
    REQUIRE(c);
    CHECK(c->payload == "1");
    CHECK_FALSE(r.next());
    CHECK_FALSE(r.failed());
  }
  SECTION("byte by byte") {
    FrameReader r(kMaxRequestPayload);
    std::vector<Frame> got;
    for (char ch : stream) {
      r.feed(std::string_view(&ch, 1));
      while (auto f = r.next()) got.push_back(*f);
    }
    REQUIRE(got.size() == 3);
    CHECK(got[0].payload == "core show channels");
    CHECK(got[2].type == FrameType::Logs);
  }
}

TEST_CASE("the header is a big-endian length and a type byte", "[console]") {
  std::string f = encode_frame(FrameType::End, "0");
  REQUIRE(f.size() == kFrameHeaderSize + 1);
  CHECK(f.substr(0, 4) == std::string("\0\0\0\1", 4));
  CHECK(f[4] == 'E');
  std::string big = encode_frame(FrameType::Output, std::string(70000, 'x'));
  CHECK(big.substr(0, 4) == std::string("\0\x01\x11\x70", 4));
}

TEST_CASE("an oversized frame fails the reader for good", "[console]") {
  FrameReader r(16);
  r.feed(encode_frame(FrameType::Run, std::string(17, 'x')));
  CHECK_FALSE(r.next());
  CHECK(r.failed());
  CHECK(r.error().find("17") != std::string::npos);
  r.feed(encode_frame(FrameType::Run, "ok"));
  CHECK_FALSE(r.next());
}

TEST_CASE("frame types belong to one side", "[console]") {
  CHECK(is_client_frame('R'));
  CHECK(is_client_frame('C'));
  CHECK(is_client_frame('L'));
  CHECK_FALSE(is_client_frame('O'));
  CHECK_FALSE(is_client_frame('Z'));
  CHECK(is_server_frame('H'));
  CHECK(is_server_frame('G'));
  CHECK_FALSE(is_server_frame('R'));
}

TEST_CASE("exit statuses", "[console]") {
  CHECK(decode_status(encode_status(0)) == 0);
  CHECK(decode_status(encode_status(1)) == 1);
  CHECK(decode_status("-3") == -3);
  CHECK_FALSE(decode_status(""));
  CHECK_FALSE(decode_status("1x"));
}
