// chan_sip's SDP offer/answer as tables: what zvon picks from real phones' offers for an
// endpoint's allow= list, what it offers, and how allow/disallow in sip.conf build that list.
#include <catch2/catch.hpp>

#include "sdp.h"
#include "sip_config.h"

using namespace zvon;
using namespace zvon::sip;

namespace {

std::vector<CodecPref> prefs(std::initializer_list<const char*> names) {
  std::vector<CodecPref> out;
  for (auto n : names) {
    auto* k = known_codec(n);
    REQUIRE(k);
    out.push_back(*k);
    if (out.back().sdp_name == "opus") out.back().fmtp = "useinbandfec=1";
  }
  return out;
}

std::string sdp_with(const std::string& m_formats, const std::string& attributes) {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio 4000 RTP/AVP " + m_formats + "\r\n" + attributes;
}

// baresip 1.0 offering everything it has, in its order.
const std::string kBaresipAll = sdp_with(
    "96 9 0 8 101",
    "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1;useinbandfec=1;usedtx=1\r\n"
    "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n");
const std::string kOpusOnly = sdp_with(
    "111 101", "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\n");
const std::string kPcmuOnly30ms = sdp_with("0", "a=ptime:30\r\n");
const std::string kG722Static = sdp_with("9 0", "");
// Opus at a clock rate other than 48000 is not Opus as RFC 7587 writes it.
const std::string kOpusWrongClock = sdp_with("96", "a=rtpmap:96 opus/16000\r\n");

}  // namespace

TEST_CASE("sdp: negotiation table for offers from phones", "[sdp]") {
  struct Row {
    const std::string* offer;
    std::vector<CodecPref> allowed;
    bool dtmf;
    Preference preference;
    const char* codec;  // nullptr: no common codec
    int pt;
    int dtmf_pt;
    int ptime;
    const char* remote_fmtp;
  };
  const Row table[] = {
      // The endpoint's order wins for an offer: opus first, then the phone's pt 96.
      {&kBaresipAll, prefs({"opus", "g722", "ulaw"}), true, Preference::Ours, "opus", 96, 101, 20,
       "stereo=1;sprop-stereo=1;useinbandfec=1;usedtx=1"},
      {&kBaresipAll, prefs({"alaw", "ulaw"}), true, Preference::Ours, "PCMA", 8, 101, 20, ""},
      {&kBaresipAll, prefs({"g722", "opus"}), false, Preference::Ours, "G722", 9, -1, 20, ""},
      // The far end's order wins in an answer.
      {&kBaresipAll, prefs({"alaw", "opus"}), true, Preference::Theirs, "opus", 96, 101, 20,
       "stereo=1;sprop-stereo=1;useinbandfec=1;usedtx=1"},
      {&kOpusOnly, prefs({"ulaw", "alaw", "opus"}), true, Preference::Ours, "opus", 111, 101, 20, "useinbandfec=1"},
      {&kOpusOnly, prefs({"ulaw", "alaw"}), true, Preference::Ours, nullptr, 0, 0, 0, ""},
      {&kPcmuOnly30ms, prefs({"opus", "ulaw"}), true, Preference::Ours, "PCMU", 0, -1, 30, ""},
      // A static payload type without rtpmap is known by its number.
      {&kG722Static, prefs({"g722", "ulaw"}), true, Preference::Ours, "G722", 9, -1, 20, ""},
      {&kOpusWrongClock, prefs({"opus"}), true, Preference::Ours, nullptr, 0, 0, 0, ""},
  };
  int row_no = 0;
  for (auto& row : table) {
    INFO("row " << row_no++);
    auto offer = parse_sdp(*row.offer);
    REQUIRE(offer);
    auto choice = negotiate(*offer, row.allowed, row.dtmf, row.preference);
    if (!row.codec) {
      REQUIRE_FALSE(choice);
      CHECK_THAT(choice.message(), Catch::StartsWith("no common codec: offered "));
      continue;
    }
    REQUIRE(choice);
    CHECK(choice->codec == row.codec);
    CHECK(choice->audio_pt == row.pt);
    CHECK(choice->dtmf_pt == row.dtmf_pt);
    CHECK(choice->ptime == row.ptime);
    CHECK(choice->remote_fmtp == row.remote_fmtp);
    CHECK(choice->remote_address == "127.0.0.1");
    CHECK(choice->remote_port == 4000);
  }
}

TEST_CASE("sdp: the no-common-codec error names both sides", "[sdp]") {
  auto offer = parse_sdp(kOpusOnly);
  REQUIRE(offer);
  auto choice = negotiate(*offer, prefs({"ulaw", "g722"}), true, Preference::Ours);
  REQUIRE_FALSE(choice);
  CHECK(choice.message() == "no common codec: offered opus/48000,telephone-event/8000, allowed PCMU/8000,G722/8000");
}

TEST_CASE("sdp: our offer and answer carry dynamic types, channels, fmtp, ptime, telephone-event", "[sdp]") {
  auto formats = offer_formats(prefs({"opus", "g722", "ulaw", "alaw"}), true);
  REQUIRE(formats.size() == 5);
  CHECK(formats[0].pt == 96);
  CHECK(formats[1].pt == 9);
  CHECK(formats[4].pt == kOfferedDtmfPt);
  std::string offer = build_sdp(1, 2, "127.0.0.1", 4000, formats);
  CHECK(offer.find("m=audio 4000 RTP/AVP 96 9 0 8 101\r\n") != std::string::npos);
  CHECK(offer.find("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n") != std::string::npos);
  CHECK(offer.find("a=rtpmap:9 G722/8000\r\n") != std::string::npos);
  CHECK(offer.find("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n") != std::string::npos);
  CHECK(offer.find("a=ptime:20\r\n") != std::string::npos);

  // Our own offer parses back to the same formats.
  auto back = parse_sdp(offer);
  REQUIRE(back);
  REQUIRE(back->formats.size() == 5);
  CHECK(back->formats[0].name == "opus");
  CHECK(back->formats[0].rate == 48000);
  CHECK(back->formats[0].channels == 2);
  CHECK(back->formats[0].fmtp == "useinbandfec=1");
  CHECK(back->ptime == 20);

  // Many dynamic codecs skip 101, telephone-event's.
  std::vector<CodecPref> many(7, *known_codec("opus"));
  auto dyn = offer_formats(many, true);
  CHECK(dyn[5].pt == 102);

  // The answer: the phone's payload type, our fmtp.
  auto choice = negotiate(*parse_sdp(kBaresipAll), prefs({"opus"}), true, Preference::Ours);
  REQUIRE(choice);
  std::string answer = build_sdp(1, 1, "127.0.0.1", 4002, answer_formats(*choice));
  CHECK(answer.find("m=audio 4002 RTP/AVP 96 101\r\n") != std::string::npos);
  CHECK(answer.find("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n") != std::string::npos);
}

TEST_CASE("sdp: malformed fmtp and rtpmap lines are refused with the line", "[sdp]") {
  auto bad_fmtp = parse_sdp(sdp_with("96", "a=rtpmap:96 opus/48000/2\r\na=fmtp:x\r\n"));
  REQUIRE_FALSE(bad_fmtp);
  CHECK(bad_fmtp.message() == "SDP fmtp is malformed: a=fmtp:x");
  auto bad_channels = parse_sdp(sdp_with("96", "a=rtpmap:96 opus/48000/zz\r\n"));
  REQUIRE_FALSE(bad_channels);
  CHECK(bad_channels.message() == "SDP rtpmap has a bad channel count: a=rtpmap:96 opus/48000/zz");
}

namespace {

Result<std::shared_ptr<const SipConfig>> sip_conf(const std::string& endpoint_lines) {
  auto c = Config::parse_string("[phone](!)\ntype = endpoint\nallow = ulaw\n[101](phone)\nsecret = s\n" +
                                    endpoint_lines,
                                "sip.conf");
  REQUIRE(c);
  return build_sip_config(*c, nullptr);
}

std::string names(const Endpoint& e) {
  std::string out;
  for (auto& c : e.codecs) out += (out.empty() ? "" : ",") + c.sdp_name;
  return out + (e.telephone_event ? "+te" : "");
}

}  // namespace

TEST_CASE("sip.conf: allow and disallow build the endpoint's codec preference", "[sdp][config]") {
  struct Row {
    const char* lines;
    const char* codecs;
  };
  const Row table[] = {
      {"", "PCMU"},  // the template's allow = ulaw
      {"disallow = all\nallow = opus,g722,ulaw,alaw,telephone-event\n", "opus,G722,PCMU,PCMA+te"},
      {"allow = opus\n", "PCMU,opus"},
      {"allow = alaw\nallow = ulaw\n", "PCMA,PCMU"},  // allowing again moves it to the end
      {"disallow = all\nallow = g722, OPUS\ndisallow = g722\nallow = rfc4733\n", "opus+te"},
  };
  for (auto& row : table) {
    INFO(row.lines);
    auto c = sip_conf(row.lines);
    REQUIRE(c);
    CHECK(names(*(*c)->endpoint("101")) == row.codecs);
  }
  // Without any allow= line: G.711 both ways and telephone-event.
  auto plain = Config::parse_string("[101]\ntype = endpoint\nsecret = s\n", "sip.conf");
  REQUIRE(plain);
  auto built = build_sip_config(*plain, nullptr);
  REQUIRE(built);
  CHECK(names(*(*built)->endpoint("101")) == "PCMU,PCMA+te");
}

TEST_CASE("sip.conf: an unknown codec or none left is an error at file:line", "[sdp][config]") {
  auto unknown = sip_conf("allow = g729\n");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.message() ==
        "sip.conf:6:1: unknown codec 'g729' (ulaw, alaw, g722, opus, telephone-event and, for disallow, all)");
  auto none = sip_conf("disallow = all\nallow = telephone-event\n");
  REQUIRE_FALSE(none);
  CHECK_THAT(none.message(), Catch::EndsWith("endpoint [101] allows no audio codec"));
}
