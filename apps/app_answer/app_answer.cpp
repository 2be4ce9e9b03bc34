// Answer(): answers an inbound channel (200 OK to the caller). A channel already up stays up.
#include "zvon/application_module.h"
#include "zvon/core.h"

namespace zvon {
namespace {

class Answer final : public Application {
 public:
  std::string_view name() const override { return "Answer"; }
  std::string_view synopsis() const override { return "Answers the channel"; }
  std::string_view usage() const override { return "Answer()"; }
  Task<AppResult> exec(Channel& channel, const AppArgs&) override {
    channel.answer();
    co_return AppResult::Continue;
  }
};

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_answer", "Answer(): answers the channel", "", zvon::ApplicationModule<zvon::Answer>::load)
