// The bodies of the NOTIFYs that tell a phone's busy lamp field the state of an extension:
// application/dialog-info+xml (RFC 4235, Event: dialog) and application/pidf+xml (RFC 3863,
// Event: presence), with Asterisk's mapping of extension states. Pure functions; any thread.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "zvon/device_state.h"

namespace zvon::sip {

enum class EventPackage { Dialog, Presence };

// "dialog" / "presence" (an Event header's type, parameters stripped); nullopt for others.
std::optional<EventPackage> parse_event_package(std::string_view event);
std::string_view event_name(EventPackage package);
std::string_view content_type(EventPackage package);
// Whether an Accept header's value lets us send the package's body (no header: yes).
bool accepts(EventPackage package, std::string_view accept_header);

// RFC 4235: one <dialog> whose <state> is terminated (idle, unavailable), early (ringing) or
// confirmed (in use, on hold, busy). `version` goes up by one with every NOTIFY.
std::string dialog_info_xml(std::string_view entity, std::string_view exten, unsigned version,
                            ExtensionState state);
// RFC 3863: <basic>open</basic> while the extension can take a call, closed when busy or
// unreachable, with a note ("Ready", "Ringing", "On the phone", "On hold", "Unavailable").
std::string pidf_xml(std::string_view entity, std::string_view exten, ExtensionState state);

}  // namespace zvon::sip
