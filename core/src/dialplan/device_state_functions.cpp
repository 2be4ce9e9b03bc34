#include "dialplan/device_state_functions.h"

#include "zvon/channel.h"
#include "zvon/log.h"

namespace zvon {

std::vector<std::unique_ptr<SimpleFunction>> make_device_state_functions(DeviceStates& states) {
  std::vector<std::unique_ptr<SimpleFunction>> out;
  out.push_back(std::make_unique<SimpleFunction>(
      "DEVICE_STATE", [&states](Channel&, std::string_view device) -> Result<std::string> {
        if (device.empty() || device.find('/') == std::string_view::npos)
          return make_error(cat("DEVICE_STATE(", device, "): name a device as TECH/name, e.g. DEVICE_STATE(SIP/101)"));
        return std::string(to_string(states.device_state(device)));
      }));
  out.push_back(std::make_unique<SimpleFunction>(
      "EXTENSION_STATE", [&states](Channel& channel, std::string_view args) -> Result<std::string> {
        std::string_view exten = args, context = channel.location().context;
        if (size_t at = args.find('@'); at != std::string_view::npos) {
          exten = args.substr(0, at);
          context = args.substr(at + 1);
        }
        if (exten.empty())
          return make_error("EXTENSION_STATE() needs an extension: EXTENSION_STATE(101) or EXTENSION_STATE(101@internal)");
        auto state = states.extension_state(exten, context);
        return std::string(state ? function_text(*state) : "UNKNOWN");
      }));
  return out;
}

}  // namespace zvon
