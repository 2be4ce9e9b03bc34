#include "sip_commands.h"

#include <cstdio>

#include "sip_shared.h"

namespace zvon::sip {
namespace {

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

int show_peers(SipShared& s, CommandOutput& out) {
  auto cfg = s.config.get();
  auto now = Registrar::Clock::now();
  out.line(pad("Endpoint", 12) + pad("Context", 14) + pad("Caller ID", 24) + "Status");
  size_t registered = 0;
  for (auto& [name, ep] : cfg->endpoints) {
    auto bindings = s.registrar.bindings(name, now);
    std::string status = "Unregistered";
    if (!bindings.empty()) {
      ++registered;
      status = "Registered " + bindings.back().contact;
      if (bindings.size() > 1) status += " (+" + std::to_string(bindings.size() - 1) + ")";
    }
    std::string cid = ep.callerid.name.empty() ? ep.callerid.number
                                               : "\"" + ep.callerid.name + "\" <" + ep.callerid.number + ">";
    out.line(pad(name, 12) + pad(ep.context, 14) + pad(cid, 24) + status);
  }
  out.line(std::to_string(cfg->endpoints.size()) + " endpoints, " + std::to_string(registered) + " registered");
  return 0;
}

int show_registrations(SipShared& s, CommandOutput& out) {
  auto now = Registrar::Clock::now();
  auto all = s.registrar.all(now);
  out.line(pad("Endpoint", 12) + pad("Contact", 44) + pad("Expires", 9) + "From");
  for (auto& b : all)
    out.line(pad(b.endpoint, 12) + pad(b.contact, 44) + pad(std::to_string(b.seconds_left(now)) + "s", 9) + b.source);
  out.line(std::to_string(all.size()) + " registrations");
  if (s.store) out.line("Registrations are " + s.store->status());
  return 0;
}

}  // namespace

Result<std::vector<Registration>> register_sip_commands(SipShared& s) {
  std::vector<Registration> regs;
  ConsoleCommand peers;
  peers.words = {"sip", "show", "peers"};
  peers.summary = "List SIP endpoints and whether they are registered";
  peers.run = [&s](const std::vector<std::string>&, CommandOutput& out) { return show_peers(s, out); };
  auto r1 = s.ctx.add_command(std::move(peers));
  if (!r1) return r1.error();
  regs.push_back(std::move(*r1));

  ConsoleCommand regs_cmd;
  regs_cmd.words = {"sip", "show", "registrations"};
  regs_cmd.summary = "List the registered SIP contacts and when they expire";
  regs_cmd.run = [&s](const std::vector<std::string>&, CommandOutput& out) { return show_registrations(s, out); };
  auto r2 = s.ctx.add_command(std::move(regs_cmd));
  if (!r2) return r2.error();
  regs.push_back(std::move(*r2));
  return regs;
}

}  // namespace zvon::sip
