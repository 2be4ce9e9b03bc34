// A channel driver for unit tests that notes what the channel asked of its technology ("call",
// "answer", "hangup USER_BUSY" ...), with no media. The channel's loop.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "zvon/channel.h"

namespace zvon::test {

class NoteDriver final : public ChannelDriver {
 public:
  // Whether "listen" / "stop listening" (in-band key detection on and off) are noted too.
  enum class Listening { Ignored, Noted };
  explicit NoteDriver(std::shared_ptr<std::vector<std::string>> notes,
                      Listening listening = Listening::Ignored)
      : notes_(std::move(notes)), listening_(listening) {}
  void call() override { notes_->push_back("call"); }
  void ring() override { notes_->push_back("ring"); }
  void progress() override { notes_->push_back("progress"); }
  void answer() override { notes_->push_back("answer"); }
  void hangup(HangupCause c) override { notes_->push_back("hangup " + std::string(to_string(c))); }
  MediaEndpoint* media() override { return nullptr; }
  void listen_for_digits(bool on) override {
    if (listening_ == Listening::Noted) notes_->push_back(on ? "listen" : "stop listening");
  }

 private:
  std::shared_ptr<std::vector<std::string>> notes_;
  Listening listening_;
};

}  // namespace zvon::test
