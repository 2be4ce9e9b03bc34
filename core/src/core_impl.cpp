#include "core_impl.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include "channel_registry.h"
#include "console/console_server.h"
#include "console/core_commands.h"
#include "device_state_registry.h"
#include "dialplan/dialplan_engine.h"
#include "event_bus.h"
#include "log_sink.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon {

namespace fs = std::filesystem;

fs::path default_config_dir() {
  std::error_code ec;
  fs::path checkout = fs::path(ZVON_DEFAULT_SOURCE_DIR) / "etc";
  if (fs::exists(checkout / "zvon.conf", ec)) return checkout;
  return "/etc/zvon";
}

Result<CoreSettings> read_core_settings(const fs::path& config_dir_in) {
  std::error_code ec;
  fs::path config_dir = fs::absolute(config_dir_in, ec);
  if (!fs::is_directory(config_dir, ec))
    return make_error(cat("configuration directory ", config_dir.string(), " does not exist"));
  CoreSettings s;
  s.paths.config_dir = config_dir;
  s.paths.dialplan_dir = config_dir / "../dialplan";
  s.paths.sounds_dir = ZVON_DEFAULT_SOURCE_SOUNDS_DIR;
  s.paths.modules_dir = ZVON_DEFAULT_MODULES_DIR;
  s.paths.run_dir = config_dir / "../var/run";
  s.paths.data_dir = config_dir / "../var";

  fs::path file = config_dir / "zvon.conf";
  if (fs::exists(file, ec)) {
    auto config = Config::parse_file(file);
    if (!config) return config.error();
    if (const ConfigSection* g = config->section("general")) {
      auto path_of = [&](std::string_view key, fs::path& out) {
        if (auto v = g->get(key); v && !v->empty()) {
          fs::path p{std::string(*v)};
          out = p.is_absolute() ? p : config_dir / p;
        }
      };
      path_of("dialplan_dir", s.paths.dialplan_dir);
      path_of("sounds_dir", s.paths.sounds_dir);
      path_of("modules_dir", s.paths.modules_dir);
      path_of("run_dir", s.paths.run_dir);
      path_of("data_dir", s.paths.data_dir);
      path_of("log_file", s.log_file);
      auto workers = g->get_int("workers", 0, 0, 256);
      if (!workers) return workers.error();
      s.workers = *workers;
      if (auto* e = g->entry("language")) {
        if (!valid_language_code(e->value))
          return make_error(cat(e->value_pos.str(), ": language must be a code such as en or ru ",
                                "(letters, digits, _ and -), not '", e->value, "'"));
        s.language = e->value;
      }
      if (auto* e = g->entry("log_level"); e && !parse_log_level(e->value, s.log_level))
        return make_error(cat(e->value_pos.str(), ": log_level must be debug, verbose, notice, warning or error, not '",
                              e->value, "'"));
    }
  }
  for (fs::path* p : {&s.paths.config_dir, &s.paths.dialplan_dir, &s.paths.sounds_dir, &s.paths.modules_dir,
                      &s.paths.run_dir, &s.paths.data_dir})
    *p = p->lexically_normal();
  return s;
}

Result<std::unique_ptr<CoreImpl>> CoreImpl::create(CoreSettings settings) {
  return std::make_unique<CoreImpl>(std::move(settings));
}

CoreImpl::CoreImpl(CoreSettings settings)
    : settings_(std::move(settings)),
      loops_(std::make_unique<LoopSet>(size_t(settings_.workers))),
      events_(std::make_unique<EventBusImpl>()),
      channel_registry_(std::make_unique<ChannelRegistry>(*loops_)),
      device_states_(std::make_unique<DeviceStateRegistry>(*events_)) {
  set_log_level(settings_.log_level);
  started_at_ms_ = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  loader_ = std::make_unique<ModuleLoader>(*this, settings_.paths.modules_dir);
  dialplan_ = DialplanEngine::create(*this, settings_.paths.dialplan_dir);
}

CoreImpl::~CoreImpl() { shutdown(); }

EventBus& CoreImpl::events() { return *events_; }
Channels& CoreImpl::channels() { return *channel_registry_; }
DialplanRuntime& CoreImpl::dialplan() { return *dialplan_; }
DeviceStates& CoreImpl::device_states() { return *device_states_; }

Result<Config> CoreImpl::load_config(std::string_view file_name) const {
  return Config::parse_file(settings_.paths.config_dir / std::string(file_name));
}

Pinned<Application> CoreImpl::find_application(std::string_view n) { return registries_.applications.find(n); }
Pinned<DialplanFunction> CoreImpl::find_function(std::string_view n) { return registries_.functions.find(n); }
Pinned<ChannelTechnology> CoreImpl::find_technology(std::string_view n) { return registries_.technologies.find(n); }
Pinned<Codec> CoreImpl::find_codec(std::string_view n) { return registries_.codecs.find(n); }
Pinned<HoldMusic> CoreImpl::find_hold_music() {
  return registries_.hold_music.find(Registries::kHoldMusicName);
}
Pinned<KeyValueStore> CoreImpl::find_key_value_store() {
  return registries_.key_value_store.find(Registries::kKeyValueStoreName);
}
std::vector<std::string> CoreImpl::application_names() { return registries_.applications.names(); }

Result<void> CoreImpl::start(bool console_socket) {
  std::error_code ec;
  fs::create_directories(settings_.paths.run_dir, ec);
  fs::create_directories(settings_.paths.data_dir, ec);
  loops_->start_workers();
  core_commands_ = register_core_commands(*this);
  for (auto& r : dialplan_->register_commands(commands_)) core_commands_.push_back(std::move(r));

  auto modules = load_modules_from_config();
  if (!modules) return modules;
  auto dp = dialplan_->load();
  if (!dp) return make_error(cat("the dialplan has errors:\n", dp.message()));
  if (console_socket) {
    auto console = ConsoleServer::start(*this, settings_.console_socket());
    if (!console) return console.error();
    console_ = std::move(*console);
  }
  log(LogLevel::Notice, "core", "zvon ready: ", loops_->worker_count(), " worker loops, ",
      loader_->list().size(), " modules, configuration from ", settings_.paths.config_dir.string());
  return {};
}

Result<void> CoreImpl::load_modules_from_config() {
  fs::path file = settings_.paths.config_dir / "modules.conf";
  std::error_code ec;
  std::vector<std::string> to_load;
  std::vector<std::string> noload;
  bool autoload = true;
  if (fs::exists(file, ec)) {
    auto config = Config::parse_file(file);
    if (!config) return config.error();
    if (const ConfigSection* m = config->section("modules")) {
      auto a = m->get_bool("autoload", true);
      if (!a) return a.error();
      autoload = *a;
      for (auto& e : m->entries) {
        if (e.key == "load") to_load.push_back(e.value);
        else if (e.key == "noload") noload.push_back(e.value);
        else if (e.key != "autoload")
          return make_error(cat(e.pos.str(), ": unknown key '", e.key, "' (use load =>, noload => or autoload =)"));
      }
    }
  }
  if (autoload)
    for (auto& name : loader_->available()) to_load.push_back(name);
  for (auto& name : to_load) {
    std::string n = name.ends_with(".so") ? name.substr(0, name.size() - 3) : name;
    if (std::find(noload.begin(), noload.end(), n) != noload.end() ||
        std::find(noload.begin(), noload.end(), n + ".so") != noload.end() || loader_->is_loaded(n))
      continue;
    auto r = loader_->load(n);
    // A broken module is reported and the daemon goes on without it.
    if (!r) log(LogLevel::Error, "modules", r.message());
  }
  return {};
}

void CoreImpl::run() {
  auto& core = loops_->core_thread();
  for (auto [handle, signum] : {std::pair{&sigint_, SIGINT}, std::pair{&sigterm_, SIGTERM}}) {
    uv_signal_init(core.uv(), handle->get());
    handle->mark_open();
    handle->get()->data = this;
    uv_signal_start(handle->get(),
                    [](uv_signal_t* s, int signum) {
                      log(LogLevel::Notice, "core", "signal ", signum, ": shutting down");
                      static_cast<CoreImpl*>(s->data)->request_shutdown();
                    },
                    signum);
  }
  std::signal(SIGPIPE, SIG_IGN);
  core.run_here();
  shutdown();
}

void CoreImpl::request_shutdown() {
  if (shutting_down_.exchange(true)) return;
  loops_->core_thread().stop();
}

void CoreImpl::shutdown() {
  if (!loader_) return;
  console_.reset();
  sigint_.close();
  sigterm_.close();
  // Calls end first, so modules can unload cleanly.
  if (channel_registry_->count() > 0) {
    log(LogLevel::Notice, "core", "hanging up ", channel_registry_->count(), " channels");
    for (size_t i = 0; i < loops_->worker_count(); ++i)
      loops_->worker(i).run_sync([this, loop = &loops_->worker(i)] { channel_registry_->hangup_all(*loop); });
    for (int i = 0; i < 300 && channel_registry_->count() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  core_commands_.clear();
  loader_.reset();
  dialplan_.reset();
  loops_->stop_workers();
  log(LogLevel::Notice, "core", "stopped");
}

}  // namespace zvon
