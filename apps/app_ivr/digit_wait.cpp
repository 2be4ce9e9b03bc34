#include "digit_wait.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace zvon::ivr {

Task<bool> wait_for_digit(Channel& channel, size_t have, uint64_t deadline_ms) {
  // Every change of the channel wakes wait(): look again and wait for what time is left.
  for (;;) {
    if (channel.pending_digits().size() > have) co_return true;
    const uint64_t now = channel.loop().now_ms();
    if (now >= deadline_ms) co_return false;
    co_await channel.wait(std::chrono::milliseconds(deadline_ms - now));
  }
}

void take_digits(Channel& channel, size_t count) {
  auto& digits = channel.pending_digits();
  digits.erase(0, std::min(count, digits.size()));
}

uint64_t deadline_after(Channel& channel, double seconds) {
  return channel.loop().now_ms() + uint64_t(seconds * 1000.0 + 0.5);
}

bool parse_seconds(const std::string& text, double& seconds) {
  if (text.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  // Capped at a day so the milliseconds cannot overflow.
  if (*end != '\0' || !(v > 0) || v > 86400) return false;
  seconds = v;
  return true;
}

}  // namespace zvon::ivr
