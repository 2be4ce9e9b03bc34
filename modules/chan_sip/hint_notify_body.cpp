#include "hint_notify_body.h"

#include <cctype>
#include <strings.h>

#include "zvon/log.h"

namespace zvon::sip {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// What goes into an attribute or element: the entity and exten come from a Request-URI.
std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string_view dialog_state(ExtensionState s) {
  switch (s) {
    case ExtensionState::Ringing:
    case ExtensionState::InUseRinging: return "early";
    case ExtensionState::InUse:
    case ExtensionState::Busy:
    case ExtensionState::OnHold: return "confirmed";
    case ExtensionState::Idle:
    case ExtensionState::Unavailable: return "terminated";
  }
  return "terminated";
}

}  // namespace

std::optional<EventPackage> parse_event_package(std::string_view event) {
  event = trim(event.substr(0, event.find(';')));
  if (iequal(event, "dialog")) return EventPackage::Dialog;
  if (iequal(event, "presence")) return EventPackage::Presence;
  return std::nullopt;
}

std::string_view event_name(EventPackage p) { return p == EventPackage::Dialog ? "dialog" : "presence"; }

std::string_view content_type(EventPackage p) {
  return p == EventPackage::Dialog ? "application/dialog-info+xml" : "application/pidf+xml";
}

bool accepts(EventPackage package, std::string_view header) {
  if (trim(header).empty()) return true;
  std::string_view want = content_type(package);
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma).substr(0, header.substr(0, comma).find(';')));
    if (iequal(item, want) || item == "*/*" || iequal(item, "application/*")) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

std::string dialog_info_xml(std::string_view entity, std::string_view exten, unsigned version,
                            ExtensionState state) {
  std::string e = xml_escape(entity), x = xml_escape(exten);
  std::string_view st = dialog_state(state);
  std::string out = cat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                        "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"", version,
                        "\" state=\"full\" entity=\"", e, "\">\n");
  out += cat(" <dialog id=\"", x, "\"", st == "early" ? " direction=\"recipient\"" : "", ">\n");
  out += cat("  <state>", st, "</state>\n");
  // A held call: the phone's lamp may show it apart (RFC 4235's rendering parameter).
  if (state == ExtensionState::OnHold)
    out += cat("  <local>\n   <target uri=\"", e, "\">\n    <param pname=\"+sip.rendering\" pvalue=\"no\"/>\n",
               "   </target>\n  </local>\n");
  out += " </dialog>\n</dialog-info>\n";
  return out;
}

std::string pidf_xml(std::string_view entity, std::string_view exten, ExtensionState state) {
  bool open = state != ExtensionState::Busy && state != ExtensionState::Unavailable;
  std::string_view note = "Ready";
  switch (state) {
    case ExtensionState::Ringing:
    case ExtensionState::InUseRinging: note = "Ringing"; break;
    case ExtensionState::InUse:
    case ExtensionState::Busy: note = "On the phone"; break;
    case ExtensionState::OnHold: note = "On hold"; break;
    case ExtensionState::Unavailable: note = "Unavailable"; break;
    case ExtensionState::Idle: break;
  }
  return cat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
             "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"", xml_escape(entity), "\">\n",
             " <tuple id=\"", xml_escape(exten), "\">\n",
             "  <status><basic>", open ? "open" : "closed", "</basic></status>\n",
             "  <note>", note, "</note>\n",
             " </tuple>\n</presence>\n");
}

}  // namespace zvon::sip
