#include "timeout_function.h"

#include <cstdio>
#include <string>

#include "digit_wait.h"

namespace zvon::ivr {
namespace {

constexpr std::string_view kDigitVar = "TIMEOUT(digit)";
constexpr std::string_view kResponseVar = "TIMEOUT(response)";

double setting(const Channel& channel, std::string_view var, double fallback) {
  double seconds = fallback;
  if (auto v = channel.var(var); v && !parse_seconds(std::string(*v), seconds)) seconds = fallback;
  return seconds;
}

Result<std::string_view> variable_of(std::string_view which) {
  if (which == "digit") return kDigitVar;
  if (which == "response") return kResponseVar;
  return make_error("TIMEOUT(" + std::string(which) +
                    "): give digit or response (absolute is not supported)");
}

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return text;
}

}  // namespace

double digit_timeout(const Channel& channel) {
  return setting(channel, kDigitVar, kDefaultDigitTimeout);
}

double response_timeout(const Channel& channel) {
  return setting(channel, kResponseVar, kDefaultResponseTimeout);
}

Result<std::string> TimeoutFunction::read(Channel& channel, std::string_view args) {
  auto var = variable_of(args);
  if (!var) return var.error();
  return format_seconds(*var == kDigitVar ? digit_timeout(channel) : response_timeout(channel));
}

Result<void> TimeoutFunction::write(Channel& channel, std::string_view args, std::string_view value) {
  auto var = variable_of(args);
  if (!var) return var.error();
  double seconds = 0;
  if (!parse_seconds(std::string(value), seconds))
    return make_error("TIMEOUT(" + std::string(args) + ")=" + std::string(value) +
                      ": give seconds above 0 and at most 86400");
  channel.set_var(*var, format_seconds(seconds));
  return {};
}

}  // namespace zvon::ivr
