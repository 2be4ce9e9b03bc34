// TIMEOUT(digit) and TIMEOUT(response), as in Asterisk: how long WaitExten waits for the next
// key of a number (default 5 s) and for the first key when it is given no time (default
// 10 s). Set(TIMEOUT(digit)=3) changes them for the channel; reading gives the value in use.
// Kept as the channel variables "TIMEOUT(digit)" / "TIMEOUT(response)".
#pragma once
#include "zvon/application.h"
#include "zvon/channel.h"

namespace zvon::ivr {

inline constexpr double kDefaultDigitTimeout = 5;
inline constexpr double kDefaultResponseTimeout = 10;

// The channel's timeouts in seconds (its setting, else the default). The channel's loop.
double digit_timeout(const Channel& channel);
double response_timeout(const Channel& channel);

class TimeoutFunction final : public DialplanFunction {
 public:
  std::string_view name() const override { return "TIMEOUT"; }
  Result<std::string> read(Channel& channel, std::string_view args) override;
  Result<void> write(Channel& channel, std::string_view args, std::string_view value) override;
};

}  // namespace zvon::ivr
