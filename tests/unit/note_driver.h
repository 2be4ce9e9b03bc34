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
  explicit NoteDriver(std::shared_ptr<std::vector<std::string>> notes) : notes_(std::move(notes)) {}
  void call() override { notes_->push_back("call"); }
  void ring() override { notes_->push_back("ring"); }
  void progress() override { notes_->push_back("progress"); }
  void answer() override { notes_->push_back("answer"); }
  void hangup(HangupCause c) override { notes_->push_back("hangup " + std::string(to_string(c))); }
  MediaEndpoint* media() override { return nullptr; }

 private:
  std::shared_ptr<std::vector<std::string>> notes_;
};

}  // namespace zvon::test
