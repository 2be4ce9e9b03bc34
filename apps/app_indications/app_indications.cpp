// Busy(), Congestion(), Progress(), Ringing(): what the caller is told about the call.
// Busy and Congestion end the call with cause 17 (SIP 486 Busy Here) and 34 (503) when it
// was not answered; Progress sends 183 (early media) and Ringing 180.
#include "zvon/core.h"

namespace zvon {
namespace {

class Refuse final : public Application {
 public:
  Refuse(std::string_view name, std::string_view synopsis, HangupCause cause)
      : name_(name), synopsis_(synopsis), cause_(cause) {}
  std::string_view name() const override { return name_; }
  std::string_view synopsis() const override { return synopsis_; }
  Task<AppResult> exec(Channel& channel, const AppArgs&) override {
    channel.hangup(cause_);
    co_return AppResult::Stop;
  }

 private:
  std::string_view name_, synopsis_;
  HangupCause cause_;
};

class Indicate final : public Application {
 public:
  Indicate(std::string_view name, std::string_view synopsis, bool ringing)
      : name_(name), synopsis_(synopsis), ringing_(ringing) {}
  std::string_view name() const override { return name_; }
  std::string_view synopsis() const override { return synopsis_; }
  Task<AppResult> exec(Channel& channel, const AppArgs&) override {
    if (channel.state() != ChannelState::Up) {
      if (ringing_)
        channel.ring();
      else
        channel.progress();
    }
    co_return AppResult::Continue;
  }

 private:
  std::string_view name_, synopsis_;
  bool ringing_;
};

class IndicationsModule final : public Module {
 public:
  Refuse busy{"Busy", "Refuses the call as busy (486)", HangupCause::Busy};
  Refuse congestion{"Congestion", "Refuses the call as congested (503)", HangupCause::Congestion};
  Indicate progress{"Progress", "Tells the caller of early media (183)", false};
  Indicate ringing{"Ringing", "Tells the caller it is ringing (180)", true};
  std::vector<Registration> registrations;
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<IndicationsModule>();
  for (Application* app : std::initializer_list<Application*>{&m->busy, &m->congestion, &m->progress, &m->ringing}) {
    auto r = ctx.add_application(*app);
    if (!r) return r.error();
    m->registrations.push_back(std::move(*r));
  }
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_indications", "Busy(), Congestion(), Progress(), Ringing()", "", zvon::load)
