// The DialplanEngine: holds the current compiled snapshot and one root coroutine per channel
// it runs. Threads: start() on the channel's loop; load()/reload() and the console commands on
// the core loop (or a test thread), except the console's `dialplan reload`, which compiles on
// a thread of its own so that the core loop goes on; the lookups (exists, find_priority,
// snapshot) any thread.
// A mutex guards the snapshot pointer and the table of runs; no lock is held while dialplan
// code runs.
#pragma once
#include <atomic>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "dialplan/builtin_functions.h"
#include "dialplan/callerid_function.h"
#include "dialplan/compiled_dialplan.h"
#include "dialplan/control_flow_apps.h"
#include "dialplan/db_store.h"
#include "dialplan/dialplan_compiler.h"
#include "dialplan/hint_function.h"
#include "dialplan/dialplan_engine.h"
#include "dialplan/run_state.h"
#include "registry.h"
#include "zvon/task.h"

namespace zvon {

// "2026-12-31 19:05 Europe/Moscow" (the zone optional: UTC) as an instant.
Result<std::time_t> parse_route_time(std::string_view text);

class DialplanEngineImpl final : public DialplanEngine {
 public:
  DialplanEngineImpl(Core& core, std::filesystem::path dir);
  ~DialplanEngineImpl() override;

  Result<void> load() override;
  Result<void> reload() override;
  std::vector<Registration> register_commands(CommandRegistry& commands) override;

  void start(std::shared_ptr<Channel> channel, std::string context, std::string exten) override;
  bool exists(std::string_view context, std::string_view exten) const override;
  DigitMatch lookahead(std::string_view context, std::string_view exten) const override;
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

  // --- for the built-in functions and applications (the channel's loop)
  // The run of `channel`, or null when the engine does not run it.
  RunState* state(Channel& channel);
  // ${NAME}: built-ins, channel variables (also _NAME and __NAME), then globals.
  std::optional<std::string> variable(Channel& channel, std::string_view name);
  // The same, copying nothing when the value lives in the channel (EXTEN, a channel
  // variable); values made on the spot are kept in `scratch`.
  std::optional<std::string_view> variable_view(Channel& channel, std::string_view name,
                                                std::string& scratch);
  // A `direct` priority's arguments, each value put in its place; false when a value holds a
  // character the splitter acts on (then the joined text must be split).
  bool direct_arguments(Channel& channel, const CompiledPriority& p, AppArgs& out);
  // The arguments of a priority of plain segments as one text, ${NAME}s substituted.
  void join_segments(Channel& channel, const CompiledPriority& p, std::string& out);
  std::optional<std::string> global(std::string_view name) const;
  void set_global(std::string_view name, std::string_view value);
  // The clock the channel's conditions use (the route's at=, the test clock, or now).
  std::time_t now(Channel& channel);
  // Tests: a fixed clock for every channel (nullopt: the real one).
  void set_clock(std::optional<std::time_t> t);
  // The core's own DB() file store; null when data_dir could not be opened (the error is
  // logged). Opened on first use.
  DbStore* db();
  // The store DB() uses: the one a module provides, else db(). Empty when neither.
  Pinned<KeyValueStore> key_value_store();

  // --- tooling
  // `dialplan check [FILE]`: compile errors and what would fail at run time (unknown
  // applications and functions, Goto targets that do not exist, unreachable priorities).
  std::vector<DialplanError> check(const std::filesystem::path& file);
  // `dialplan trace on|off CHANNEL|all`.
  void set_trace(const std::string& target, bool on);
  // `dialplan route`: a dry run on a scratch channel; the lines say what ran and where it ended.
  // `digits`: the keys the caller presses, one group per WaitExten or Read met.
  std::vector<std::string> route(const std::string& context, const std::string& exten,
                                 const std::string& caller, std::optional<std::time_t> at,
                                 std::vector<std::string> digits = {});

 private:
  struct Run {
    Loop* loop = nullptr;
    RunState state;
    Task<> task;
  };
  Task<> run(std::shared_ptr<Channel> channel, RunState* state);
  Task<> steps(Channel& channel, RunState& state);
  Result<std::string> expand_with(Channel& channel, const CompiledDialplan* plan,
                                  std::string_view text);
  // The application of `p`, pinned; from the run's cache while the registry has not changed.
  // The application `p` names. The run's cache keeps its module pinned until the run next
  // waits (RunState::release_pins), so priorities run back to back pay no atomic write each;
  // what the cache can't serve is pinned in `uncached`. Null when there is none.
  Application* application(RunState& state, const CompiledPriority& p,
                           Pinned<Application>& uncached);
  // A use of that application's module for the channel to hold while the application waits.
  ModuleUse application_use(RunState& state, const CompiledPriority& p,
                            const Pinned<Application>& uncached);
  void finished(Channel* key, std::exception_ptr error);
  Run* add_run(const std::shared_ptr<Channel>& channel);
  bool traced(const Channel& channel);
  void reset_globals(const CompiledDialplan& plan);

  Core& core_;
  std::filesystem::path file_;
  CallerIdFunction callerid_;
  Registration callerid_registration_;
  HintFunction hint_{*this};
  NamedRegistry<Application>* applications_ = nullptr;  // null when the core is not a CoreImpl
  std::unique_ptr<BuiltinFunctions> functions_;
  std::unique_ptr<ControlFlowApps> control_flow_;
  std::vector<Registration> builtin_registrations_;

  mutable std::mutex mutex_;  // guards current_ and runs_
  std::shared_ptr<const CompiledDialplan> current_;
  std::unordered_map<Channel*, std::unique_ptr<Run>> runs_;
  std::mutex reload_mutex_;  // one reload at a time

  mutable std::mutex globals_mutex_;  // guards globals_
  std::unordered_map<std::string, std::string> globals_;

  std::atomic<bool> any_trace_{false};
  std::mutex trace_mutex_;  // guards trace_all_ and traced_
  bool trace_all_ = false;
  std::set<std::string> traced_;

  std::atomic<int64_t> test_clock_{-1};
  std::once_flag db_once_;
  std::unique_ptr<DbStore> db_;

  // The console's `dialplan reload`: the reload with its reply, and the thread it runs on
  // (joined by the destructor first, and before the next one starts).
  std::pair<std::string, int> reload_with_reply();
  std::atomic<bool> reloading_{false};
  std::thread reload_thread_;
};

}  // namespace zvon
