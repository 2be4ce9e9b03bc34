#include <catch2/catch.hpp>

#include "hint_notify_body.h"

using namespace zvon;
using namespace zvon::sip;

TEST_CASE("BLF: event packages and Accept", "[sip][blf]") {
  CHECK(parse_event_package("dialog") == EventPackage::Dialog);
  CHECK(parse_event_package(" Dialog;id=3") == EventPackage::Dialog);
  CHECK(parse_event_package("presence") == EventPackage::Presence);
  CHECK_FALSE(parse_event_package("message-summary"));
  CHECK_FALSE(parse_event_package(""));
  CHECK(accepts(EventPackage::Dialog, ""));
  CHECK(accepts(EventPackage::Dialog, "application/dialog-info+xml"));
  CHECK(accepts(EventPackage::Dialog, "application/pidf+xml, application/dialog-info+xml;q=0.5"));
  CHECK(accepts(EventPackage::Presence, "*/*"));
  CHECK_FALSE(accepts(EventPackage::Dialog, "application/pidf+xml"));
  CHECK_FALSE(accepts(EventPackage::Presence, "application/dialog-info+xml, text/plain"));
}

TEST_CASE("BLF: dialog-info bodies (RFC 4235)", "[sip][blf]") {
  CHECK(dialog_info_xml("sip:101@zvon", "101", 0, ExtensionState::Idle) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"0\" state=\"full\" "
        "entity=\"sip:101@zvon\">\n"
        " <dialog id=\"101\">\n"
        "  <state>terminated</state>\n"
        " </dialog>\n"
        "</dialog-info>\n");
  std::string ringing = dialog_info_xml("sip:101@zvon", "101", 1, ExtensionState::Ringing);
  CHECK(ringing.find("version=\"1\"") != std::string::npos);
  CHECK(ringing.find("<dialog id=\"101\" direction=\"recipient\">") != std::string::npos);
  CHECK(ringing.find("<state>early</state>") != std::string::npos);
  CHECK(dialog_info_xml("e", "1", 2, ExtensionState::InUseRinging).find("<state>early</state>") != std::string::npos);
  CHECK(dialog_info_xml("e", "1", 2, ExtensionState::InUse).find("<state>confirmed</state>") != std::string::npos);
  CHECK(dialog_info_xml("e", "1", 2, ExtensionState::Busy).find("<state>confirmed</state>") != std::string::npos);
  std::string held = dialog_info_xml("e", "1", 2, ExtensionState::OnHold);
  CHECK(held.find("<state>confirmed</state>") != std::string::npos);
  CHECK(held.find("pname=\"+sip.rendering\" pvalue=\"no\"") != std::string::npos);
  CHECK(dialog_info_xml("e", "1", 2, ExtensionState::Unavailable).find("<state>terminated</state>") != std::string::npos);
  // What came from the network is escaped.
  CHECK(dialog_info_xml("sip:a\"<b>@x", "a&b", 0, ExtensionState::Idle).find("entity=\"sip:a&quot;&lt;b&gt;@x\"") !=
        std::string::npos);
}

TEST_CASE("BLF: presence bodies (PIDF)", "[sip][blf]") {
  CHECK(pidf_xml("sip:101@zvon", "101", ExtensionState::Idle) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:101@zvon\">\n"
        " <tuple id=\"101\">\n"
        "  <status><basic>open</basic></status>\n"
        "  <note>Ready</note>\n"
        " </tuple>\n</presence>\n");
  CHECK(pidf_xml("e", "1", ExtensionState::InUse).find("<basic>open</basic>") != std::string::npos);
  CHECK(pidf_xml("e", "1", ExtensionState::InUse).find("<note>On the phone</note>") != std::string::npos);
  CHECK(pidf_xml("e", "1", ExtensionState::Ringing).find("<note>Ringing</note>") != std::string::npos);
  CHECK(pidf_xml("e", "1", ExtensionState::Unavailable).find("<basic>closed</basic>") != std::string::npos);
  CHECK(pidf_xml("e", "1", ExtensionState::Busy).find("<basic>closed</basic>") != std::string::npos);
}
