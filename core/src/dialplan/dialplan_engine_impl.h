// The DialplanEngine: holds the current compiled snapshot and one root coroutine per channel
// it runs. Threads: start() on the channel's loop; load()/reload() and the console commands on
// the core loop (or a test thread); the lookups (exists, find_priority, snapshot) any thread.
// A mutex guards the snapshot pointer and the table of runs; no lock is held while dialplan
// code runs.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "dialplan/callerid_function.h"
#include "dialplan/compiled_dialplan.h"
#include "dialplan/dialplan_engine.h"
#include "zvon/task.h"

namespace zvon {

class DialplanEngineImpl final : public DialplanEngine {
 public:
  DialplanEngineImpl(Core& core, std::filesystem::path dir);
  ~DialplanEngineImpl() override;

  Result<void> load() override;
  Result<void> reload() override;
  std::vector<Registration> register_commands(CommandRegistry& commands) override;

  void start(std::shared_ptr<Channel> channel, std::string context, std::string exten) override;
  bool exists(std::string_view context, std::string_view exten) const override;
  Result<int> find_priority(std::string_view context, std::string_view exten,
                            std::string_view label_or_number) const override;
  Result<std::string> expand(Channel& channel, std::string_view text) override;

  // The dialplan new calls start with; null before the first successful load.
  std::shared_ptr<const CompiledDialplan> snapshot() const;
  // Replaces the snapshot (tests compile from a string). Any thread.
  void install(std::shared_ptr<const CompiledDialplan> plan);
  const std::filesystem::path& file() const { return file_; }
  // Channels whose dialplan is running.
  size_t running() const;

 private:
  struct Run;
  Task<> run(std::shared_ptr<Channel> channel, std::shared_ptr<const CompiledDialplan> plan);
  Task<> steps(Channel& channel, std::shared_ptr<const CompiledDialplan> plan);
  Result<std::string> expand_with(Channel& channel, const CompiledDialplan* plan,
                                  std::string_view text);
  void finished(Channel* key, std::exception_ptr error);

  Core& core_;
  std::filesystem::path file_;
  CallerIdFunction callerid_;
  Registration callerid_registration_;

  mutable std::mutex mutex_;  // guards current_ and runs_
  std::shared_ptr<const CompiledDialplan> current_;
  std::unordered_map<Channel*, std::unique_ptr<Run>> runs_;
  std::mutex reload_mutex_;  // one reload at a time
};

}  // namespace zvon
