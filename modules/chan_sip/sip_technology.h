// The "SIP" channel technology: Dial(SIP/101) makes an outbound leg to the contact endpoint
// 101 registered. request() runs on the dialling channel's worker loop.
#pragma once
#include "zvon/technology.h"

namespace zvon::sip {

struct SipShared;

class SipTechnology : public ChannelTechnology {
 public:
  explicit SipTechnology(SipShared& shared) : s_(shared) {}
  std::string_view name() const override { return "SIP"; }
  std::string_view description() const override { return "SIP endpoints (Sofia-SIP)"; }
  Result<std::shared_ptr<Channel>> request(Loop& loop, std::string_view destination,
                                           Channel* requester) override;

 private:
  SipShared& s_;
};

}  // namespace zvon::sip
