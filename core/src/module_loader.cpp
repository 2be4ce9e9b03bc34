#include "module_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "channel_registry.h"
#include "core_impl.h"
#include "zvon/log.h"
#include "zvon/version.h"

namespace zvon {

namespace {

struct DlClose {
  void operator()(void* h) const { if (h) dlclose(h); }
};
using DlHandle = std::unique_ptr<void, DlClose>;

std::vector<std::string> split_spaces(const char* s) {
  std::vector<std::string> out;
  std::istringstream in(s ? s : "");
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string module_name_of(std::string_view name) {
  std::string n(std::filesystem::path(std::string(name)).filename().string());
  if (n.size() > 3 && n.ends_with(".so")) n.resize(n.size() - 3);
  return n;
}

}  // namespace

// Registration on behalf of one module: everything it adds is owned by its usage.
class ModuleContextImpl final : public ModuleContext {
 public:
  ModuleContextImpl(CoreImpl& core, std::shared_ptr<ModuleUsage> usage)
      : core_(core), usage_(std::move(usage)) {}
  Core& core() override { return core_; }
  const std::string& module_name() const override { return usage_->name(); }
  ModuleUse use() override {
    if (!usage_->try_acquire()) return {};
    return ModuleUse::adopt(usage_);
  }
  Result<Registration> add_application(Application& app) override {
    return core_.registries().applications.add(app.name(), app, usage_);
  }
  Result<Registration> add_function(DialplanFunction& fn) override {
    return core_.registries().functions.add(fn.name(), fn, usage_);
  }
  Result<Registration> add_technology(ChannelTechnology& tech) override {
    return core_.registries().technologies.add(tech.name(), tech, usage_);
  }
  Result<Registration> add_codec(Codec& codec) override {
    return core_.registries().codecs.add(codec.name(), codec, usage_);
  }
  Result<Registration> add_command(ConsoleCommand command) override {
    return core_.commands().add(std::move(command), usage_->name());
  }
  Result<Registration> add_hold_music(HoldMusic& music) override {
    return core_.registries().hold_music.add(Registries::kHoldMusicName, music, usage_);
  }
  Result<Registration> add_key_value_store(KeyValueStore& store) override {
    return core_.registries().key_value_store.add(Registries::kKeyValueStoreName, store, usage_);
  }

 private:
  CoreImpl& core_;
  std::shared_ptr<ModuleUsage> usage_;
};

class LoadedModule {
 public:
  std::string name;
  std::string description;
  std::vector<std::string> depends;
  std::shared_ptr<ModuleUsage> usage;
  std::unique_ptr<ModuleContextImpl> context;
  std::unique_ptr<Module> object;  // destroyed before the library is closed
  DlHandle library;
};

ModuleLoader::ModuleLoader(CoreImpl& core, std::filesystem::path modules_dir)
    : core_(core), dir_(std::move(modules_dir)) {}

ModuleLoader::~ModuleLoader() { unload_all(); }

std::filesystem::path ModuleLoader::resolve(std::string_view name) const {
  std::filesystem::path p{std::string(name)};
  if (p.has_parent_path()) return p;
  std::string file(name);
  if (!file.ends_with(".so")) file += ".so";
  return dir_ / file;
}

bool ModuleLoader::is_loaded(std::string_view name) const {
  std::string n = module_name_of(name);
  return std::any_of(modules_.begin(), modules_.end(), [&](auto& m) { return m->name == n; });
}

Result<void> ModuleLoader::load(std::string_view name) {
  std::vector<std::string> chain;
  return load_file(resolve(name), chain);
}

Result<void> ModuleLoader::load_file(const std::filesystem::path& path, std::vector<std::string>& chain) {
  std::string name = module_name_of(path.filename().string());
  if (is_loaded(name)) {
    if (chain.empty()) return make_error(cat("module ", name, " is loaded already"));
    return {};
  }
  if (std::find(chain.begin(), chain.end(), name) != chain.end())
    return make_error(cat("modules depend on each other in a circle: ", name, " needs itself"));
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(cat("no module ", name, ": ", path.string(), " does not exist"));

  DlHandle lib(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!lib) return make_error(cat("cannot load ", name, ": ", dlerror()));
  auto* d = static_cast<const ModuleDescriptor*>(dlsym(lib.get(), "zvon_module_descriptor"));
  if (!d)
    return make_error(cat(path.string(), " is not a zvon module: it exports no zvon_module_descriptor"));
  if (d->abi_major != ZVON_ABI_MAJOR)
    return make_error(cat("module ", name, " was built for module ABI ", d->abi_major,
                          " but this zvon has ABI ", ZVON_ABI_MAJOR,
                          ": rebuild the module against this zvon's headers"));
  if (!d->fingerprint || std::strcmp(d->fingerprint, ZVON_BUILD_FINGERPRINT) != 0)
    return make_error(cat("module ", name, " was built as '", d->fingerprint ? d->fingerprint : "?",
                          "' but this zvon is '", ZVON_BUILD_FINGERPRINT,
                          "': compiler, standard library or public headers differ; rebuild it"));
  if (!d->name || name != d->name)
    return make_error(cat("module file ", name, ".so calls itself '", d->name ? d->name : "",
                          "': the file name and the module name must match"));
  if (!d->load) return make_error(cat("module ", name, " has no load function"));

  auto deps = split_spaces(d->depends);
  chain.push_back(name);
  for (auto& dep : deps) {
    if (is_loaded(dep)) continue;
    auto r = load_file(resolve(dep), chain);
    if (!r) {
      chain.pop_back();
      return make_error(cat("module ", name, " needs ", dep, ": ", r.message()));
    }
  }
  chain.pop_back();

  auto m = std::make_unique<LoadedModule>();
  m->name = name;
  m->description = d->description ? d->description : "";
  m->depends = deps;
  m->usage = std::make_shared<ModuleUsage>(name);
  m->context = std::make_unique<ModuleContextImpl>(core_, m->usage);
  Result<std::unique_ptr<Module>> object = make_error("load() did not return");
  try {
    object = d->load(*m->context);
  } catch (const std::exception& e) {
    object = make_error(cat("load() threw: ", e.what()));
  }
  if (!object) return make_error(cat("module ", name, " failed to load: ", object.message()));
  if (!*object) return make_error(cat("module ", name, " failed to load: load() returned nothing"));
  m->object = std::move(*object);
  m->library = std::move(lib);
  modules_.push_back(std::move(m));
  log(LogLevel::Verbose, "modules", "loaded ", name, " (", modules_.back()->description, ")");
  core_.events().publish(Event{"ModuleLoad", 0, {{"module", name}}});
  return {};
}

Result<void> ModuleLoader::unload(std::string_view name_in) {
  std::string name = module_name_of(name_in);
  auto it = std::find_if(modules_.begin(), modules_.end(), [&](auto& m) { return m->name == name; });
  if (it == modules_.end()) return make_error(cat("module ", name, " is not loaded"));
  for (auto& other : modules_)
    if (std::find(other->depends.begin(), other->depends.end(), name) != other->depends.end())
      return make_error(cat("module ", name, " is needed by ", other->name, ": unload that first"));

  LoadedModule& m = **it;
  m.usage->close();
  if (int uses = m.usage->uses(); uses > 0) {
    auto users = core_.channel_registry().users_of(name);
    m.usage->reopen();
    std::string who;
    for (size_t i = 0; i < users.size(); ++i) who += (i ? ", " : "") + users[i];
    if (users.empty())
      return make_error(cat("module ", name, " is in use (", uses, " use", uses == 1 ? "" : "s",
                            "): try again when its calls have ended"));
    return make_error(cat("module ", name, " is in use by ", users.size(), " channel",
                          users.size() == 1 ? "" : "s", ": ", who));
  }
  std::unique_ptr<LoadedModule> gone = std::move(*it);
  modules_.erase(it);
  gone->object.reset();  // unregisters everything the module added
  // Work the module posted to the loops before it went must run before its code is unmapped:
  // each loop runs its queue in order, so a no-op run through every loop is a barrier.
  auto& loops = core_.loops();
  for (size_t i = 0; i < loops.worker_count(); ++i) loops.worker(i).run_sync([] {});
  gone->context.reset();
  // dlclose from the core loop's own turn, never from inside a call into the module.
  loops.core().post([owned = std::shared_ptr<LoadedModule>(std::move(gone))] {});
  log(LogLevel::Verbose, "modules", "unloaded ", name);
  core_.events().publish(Event{"ModuleUnload", 0, {{"module", name}}});
  return {};
}

Result<void> ModuleLoader::reload(std::string_view name_in) {
  std::string name = module_name_of(name_in);
  auto it = std::find_if(modules_.begin(), modules_.end(), [&](auto& m) { return m->name == name; });
  if (it == modules_.end()) return make_error(cat("module ", name, " is not loaded"));
  auto r = (*it)->object->reload();
  if (!r) return make_error(cat("module ", name, " kept its old configuration: ", r.message()));
  log(LogLevel::Notice, "modules", "reloaded ", name);
  return {};
}

void ModuleLoader::unload_all() {
  // Dependants were loaded after what they need: unload newest first.
  while (!modules_.empty()) {
    std::string name = modules_.back()->name;
    auto r = unload(name);
    if (!r) {
      log(LogLevel::Warning, "modules", "at shutdown: ", r.message(), "; unloading it anyway");
      auto gone = std::move(modules_.back());
      modules_.pop_back();
      gone->object.reset();
    }
  }
}

std::vector<ModuleInfo> ModuleLoader::list() const {
  std::vector<ModuleInfo> out;
  for (auto& m : modules_) {
    std::string deps;
    for (auto& d : m->depends) deps += (deps.empty() ? "" : " ") + d;
    out.push_back({m->name, m->description, deps, m->usage->uses()});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> ModuleLoader::available() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir_, ec))
    if (e.path().extension() == ".so") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zvon
