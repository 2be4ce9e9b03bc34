#include "sip_technology.h"

#include "call_leg.h"
#include "loaded_codecs.h"
#include "sip_shared.h"
#include "zvon/log.h"

namespace zvon::sip {

Result<std::shared_ptr<Channel>> SipTechnology::request(Loop& loop, std::string_view destination,
                                                        Channel* requester) {
  std::string dest(destination);
  if (dest.empty()) return make_error("SIP/: no endpoint named (write SIP/101)");
  if (dest.find('@') != std::string::npos)
    return make_error("SIP/" + dest + ": dialling a URI or a trunk is not supported yet; name an endpoint from sip.conf");
  if (!s_.router.knows(loop))
    return make_error("SIP/" + dest + ": channels can only be made on a worker loop");
  auto cfg = s_.config.get();
  const Endpoint* ep = cfg->endpoint(dest);
  if (!ep) return make_error("SIP/" + dest + ": no endpoint [" + dest + "] in sip.conf");
  auto binding = s_.registrar.best(dest, Registrar::Clock::now());
  if (!binding) return make_error("SIP/" + dest + ": endpoint " + dest + " is not registered");

  auto rtp = RtpSession::open(loop, cfg->bind_address, cfg->rtp_ports);
  if (!rtp) return make_error("SIP/" + dest + ": " + rtp.message());
  ModuleUse use = s_.ctx.use();
  if (!use) return make_error("SIP/" + dest + ": chan_sip is being unloaded");

  auto channel = Channel::create(s_.core, loop, "SIP", dest, Direction::Outbound, std::move(use));
  channel->set_dialed(dest);
  if (requester) channel->caller() = requester->caller();

  CallerId from = requester ? requester->caller() : CallerId{};
  std::string from_user = from.number.empty() ? "zvon" : from.number;
  std::string host = cfg->media_address + ":" + std::to_string(cfg->port);
  OutboundTarget target;
  target.request_uri = binding->contact;
  target.next_hop = binding->next_hop;
  target.to = "<sip:" + dest + "@" + host + ">";
  std::string display;
  for (char c : from.name)
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) display += c;
  target.from = (display.empty() ? "" : "\"" + display + "\" ") + "<sip:" + from_user + "@" + host + ">";

  Endpoint endpoint = *ep;
  if (requester && requester->media() && requester->media()->codec())
    endpoint.codecs = preferring(std::move(endpoint.codecs), requester->media()->codec()->name());
  auto leg = std::make_unique<CallLeg>(s_, *channel, s_.new_leg_id(), Direction::Outbound,
                                       std::move(endpoint), std::move(*rtp));
  leg->set_target(std::move(target));
  channel->set_driver(std::move(leg));
  return channel;
}

}  // namespace zvon::sip
