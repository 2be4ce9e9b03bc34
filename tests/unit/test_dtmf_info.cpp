// chan_sip's SIP INFO DTMF bodies: the two content types, the keys, and bad bodies refused
// with a reason (never a crash).
#include <catch2/catch.hpp>

#include <string>

#include "../../modules/chan_sip/dtmf_info.h"

using namespace zvon::sip;

TEST_CASE("dtmf info: application/dtmf-relay bodies give their Signal", "[dtmf][sip]") {
  auto d = parse_dtmf_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n");
  REQUIRE(d);
  CHECK(*d == '5');
  CHECK(*parse_dtmf_info("Application/DTMF-Relay", "Duration=250\nSignal= #\n") == '#');
  CHECK(*parse_dtmf_info("application/dtmf-relay;charset=utf-8", "signal=*") == '*');
  CHECK(*parse_dtmf_info("application/dtmf-relay", "Signal=d\r\n") == 'D');
  CHECK(*parse_dtmf_info("application/dtmf-relay", "Signal=10\r\nDuration=100") == '*');
  CHECK(*parse_dtmf_info("application/dtmf-relay", "Signal=11") == '#');
  CHECK(*parse_dtmf_info("application/dtmf-relay", "Signal=12") == 'A');
}

TEST_CASE("dtmf info: application/dtmf bodies are the key itself", "[dtmf][sip]") {
  CHECK(*parse_dtmf_info("application/dtmf", "7") == '7');
  CHECK(*parse_dtmf_info("application/dtmf", "#\r\n") == '#');
  CHECK(*parse_dtmf_info("application/dtmf", "11") == '#');
}

TEST_CASE("dtmf info: bad bodies are refused with a reason", "[dtmf][sip]") {
  CHECK_FALSE(parse_dtmf_info("application/dtmf-relay", ""));
  CHECK_FALSE(parse_dtmf_info("application/dtmf-relay", "Duration=160\r\n"));
  CHECK_FALSE(parse_dtmf_info("application/dtmf-relay", "Signal=\r\n"));
  CHECK_FALSE(parse_dtmf_info("application/dtmf-relay", "Signal=55"));
  CHECK_FALSE(parse_dtmf_info("application/dtmf-relay", "Signal=E"));
  CHECK_FALSE(parse_dtmf_info("application/dtmf-relay", "Signal=99999999999999999999"));
  CHECK_FALSE(parse_dtmf_info("application/dtmf", ""));
  CHECK_FALSE(parse_dtmf_info("application/dtmf", "12345"));
  CHECK_FALSE(parse_dtmf_info("application/dtmf", std::string("5\0", 2)));
  CHECK_FALSE(parse_dtmf_info("application/dtmf", std::string(5000, '1')));
  auto wrong = parse_dtmf_info("text/plain", "Signal=5");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.message().find("text/plain") != std::string::npos);
  auto bad = parse_dtmf_info("application/dtmf-relay", "Signal=x\x01\xff");
  REQUIRE_FALSE(bad);
  CHECK(bad.message().find("not a DTMF key") != std::string::npos);
  // Arbitrary bytes never crash the parser.
  std::string junk;
  for (int i = 0; i < 300; ++i) junk += char((i * 37) & 0xff);
  CHECK_FALSE(parse_dtmf_info("application/dtmf-relay", junk));
  CHECK_FALSE(parse_dtmf_info("application/dtmf", junk));
}

TEST_CASE("dtmf info: only the two DTMF types are DTMF", "[dtmf][sip]") {
  CHECK(is_dtmf_info_type("application/dtmf-relay"));
  CHECK(is_dtmf_info_type("application/dtmf"));
  CHECK(is_dtmf_info_type(" application/dtmf ; x=y"));
  CHECK_FALSE(is_dtmf_info_type("application/media_control+xml"));
  CHECK_FALSE(is_dtmf_info_type(""));
}
