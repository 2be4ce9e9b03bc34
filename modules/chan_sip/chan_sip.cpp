// chan_sip: the SIP channel driver. The module object owns everything; its destruction stops
// the Sofia thread (joining it) and waits for the workers to run what it posted to them, so no
// code of this module is left to run after it is unloaded.
#include <filesystem>

#include "endpoint_device_states.h"
#include "sip_agent.h"
#include "sip_commands.h"
#include "sip_shared.h"
#include "sip_technology.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon::sip {
namespace {

Result<std::shared_ptr<const SipConfig>> read_config(Core& core) {
  auto sip = core.load_config("sip.conf");
  if (!sip) return sip.error();
  std::optional<Config> rtp;
  if (std::filesystem::exists(core.paths().config_dir / "rtp.conf")) {
    auto r = core.load_config("rtp.conf");
    if (!r) return r.error();
    rtp = std::move(*r);
  }
  return build_sip_config(*sip, rtp ? &*rtp : nullptr);
}

class ChanSip final : public Module {
 public:
  ChanSip(ModuleContext& ctx, std::shared_ptr<const SipConfig> config)
      : shared_(ctx, std::move(config)), technology_(shared_) {}

  ~ChanSip() override {
    registrations_.clear();  // no new calls or commands
    shared_.thread.stop();   // joins the Sofia thread
    shared_.router.flush();  // the workers ran every job we posted
  }

  Result<void> start() {
    shared_.store = std::make_unique<RegistrationStore>(shared_.core, shared_.registrar);
    shared_.agent = std::make_unique<SipAgent>(shared_);
    SipAgent* agent = shared_.agent.get();
    SofiaThread::Hooks hooks;
    hooks.start = [agent](su_root_s* root) { return agent->start(root); };
    hooks.shutdown = [agent](std::function<void()> done) { agent->shutdown(std::move(done)); };
    hooks.teardown = [agent] { agent->teardown(); };
    if (auto r = shared_.thread.start(std::move(hooks)); !r) return r;

    auto tech = shared_.ctx.add_technology(technology_);
    if (!tech) return tech.error();
    registrations_.push_back(std::move(*tech));
    auto cmds = register_sip_commands(shared_);
    if (!cmds) return cmds.error();
    for (auto& c : *cmds) registrations_.push_back(std::move(c));
    device_states_.start();
    return {};
  }

  Result<void> reload() override {
    auto next = read_config(shared_.core);
    if (!next) return make_error("sip.conf not reloaded, the old configuration stays: " + next.message());
    auto old = shared_.config.get();
    if (!old->same_listeners(**next))
      log(LogLevel::Warning, "chan_sip",
          "bind, port and transports changes take effect when chan_sip is loaded again");
    shared_.config.set(std::move(*next));
    device_states_.refresh_all();
    log(LogLevel::Notice, "chan_sip", "sip.conf reloaded: ", shared_.config.get()->endpoints.size(), " endpoints");
    return {};
  }

 private:
  SipShared shared_;
  SipTechnology technology_;
  EndpointDeviceStates device_states_{shared_};  // forgets its reports first when the module goes
  std::vector<Registration> registrations_;
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto config = read_config(ctx.core());
  if (!config) return config.error();
  auto module = std::make_unique<ChanSip>(ctx, std::move(*config));
  if (auto r = module->start(); !r) return r.error();
  return std::unique_ptr<Module>(std::move(module));
}

}  // namespace
}  // namespace zvon::sip

ZVON_MODULE("chan_sip", "SIP channel driver (Sofia-SIP): registrar, digest auth, calls, BLF subscriptions", "",
            &zvon::sip::load)
