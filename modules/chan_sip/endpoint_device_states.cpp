#include "endpoint_device_states.h"

#include "sip_shared.h"

namespace zvon::sip {

EndpointDeviceStates::~EndpointDeviceStates() {
  events_.release();
  std::lock_guard lock(mutex_);
  for (auto& name : reported_) s_.core.device_states().report("SIP/" + name, DeviceState::Unknown);
}

void EndpointDeviceStates::start() {
  events_ = s_.core.events().subscribe([this](const Event& e) {
    if (e.type != "Registration") return;
    if (auto* endpoint = e.get("endpoint")) refresh(*endpoint);
  });
  refresh_all();
}

void EndpointDeviceStates::refresh_all() {
  auto cfg = s_.config.get();
  std::set<std::string> names;
  {
    std::lock_guard lock(mutex_);
    names = reported_;
  }
  for (auto& [name, ep] : cfg->endpoints) names.insert(name);
  for (auto& name : names) refresh(name);
}

void EndpointDeviceStates::refresh(const std::string& endpoint) {
  // Held from the registrar's answer to the report: two refreshes racing (a REGISTER and an
  // expiry) report in the order they read, so the last report is the registrar's latest word.
  std::lock_guard lock(mutex_);
  auto cfg = s_.config.get();
  DeviceState state = DeviceState::Unknown;
  if (cfg->endpoint(endpoint))
    state = s_.registrar.best(endpoint, Registrar::Clock::now()) ? DeviceState::NotInUse : DeviceState::Unavailable;
  if (state == DeviceState::Unknown) reported_.erase(endpoint);
  else reported_.insert(endpoint);
  s_.core.device_states().report("SIP/" + endpoint, state);
}

}  // namespace zvon::sip
