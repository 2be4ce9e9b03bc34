#include "channel_registry.h"

#include <algorithm>

namespace zvon {

ChannelRegistry::ChannelRegistry(Loops& loops) : loops_(loops) {
  for (size_t i = 0; i < loops.worker_count(); ++i) per_loop_[&loops.worker(i)];
}

void ChannelRegistry::add(Channel& channel) {
  per_loop_.at(&channel.loop()).insert(&channel);
  count_.fetch_add(1);
}

void ChannelRegistry::remove(Channel& channel) {
  if (per_loop_.at(&channel.loop()).erase(&channel)) count_.fetch_sub(1);
}

std::vector<ChannelInfo> ChannelRegistry::list() {
  std::vector<ChannelInfo> out;
  for (auto& [loop, set] : per_loop_) {
    loop->run_sync([&, s = &set] {
      for (Channel* c : *s) out.push_back(c->info());
    });
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> ChannelRegistry::users_of(const std::string& module) {
  std::vector<std::string> names;
  for (auto& info : list())
    if (info.technology_module == module || info.application_module == module)
      names.push_back(info.name);
  return names;
}

void ChannelRegistry::hangup_all(Loop& loop) {
  std::vector<std::shared_ptr<Channel>> live;
  for (Channel* c : per_loop_.at(&loop))
    if (auto p = c->weak_from_this().lock()) live.push_back(std::move(p));
  for (auto& c : live) c->hangup(HangupCause::Normal);
}

}  // namespace zvon
