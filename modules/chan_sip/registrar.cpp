#include "registrar.h"

#include <algorithm>

namespace zvon::sip {

Registrar::Change Registrar::update(Binding b, int expires_seconds) {
  std::lock_guard lock(mutex_);
  auto& list = by_endpoint_[b.endpoint];
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const Binding& x) { return x.contact == b.contact; });
  if (it != list.end() && it->call_id == b.call_id && b.cseq < it->cseq) return Change::Unchanged;
  if (expires_seconds <= 0) {
    if (it == list.end()) return Change::Unchanged;
    list.erase(it);
    if (list.empty()) by_endpoint_.erase(b.endpoint);
    return Change::Removed;
  }
  b.expires_at = b.registered_at + std::chrono::seconds(expires_seconds);
  if (it != list.end()) {
    *it = std::move(b);
    return Change::Refreshed;
  }
  if (list.size() >= kMaxBindingsPerEndpoint) return Change::Refused;
  list.push_back(std::move(b));
  return Change::Added;
}

size_t Registrar::remove_all(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  auto it = by_endpoint_.find(endpoint);
  if (it == by_endpoint_.end()) return 0;
  size_t n = it->second.size();
  by_endpoint_.erase(it);
  return n;
}

std::vector<Binding> Registrar::bindings(const std::string& endpoint, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  std::vector<Binding> out;
  auto it = by_endpoint_.find(endpoint);
  if (it == by_endpoint_.end()) return out;
  for (auto& b : it->second)
    if (b.expires_at > now) out.push_back(b);
  return out;
}

std::optional<Binding> Registrar::best(const std::string& endpoint, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = by_endpoint_.find(endpoint);
  if (it == by_endpoint_.end()) return std::nullopt;
  const Binding* best = nullptr;
  for (auto& b : it->second)
    if (b.expires_at > now && (!best || b.registered_at >= best->registered_at)) best = &b;
  if (!best) return std::nullopt;
  return *best;
}

std::vector<Binding> Registrar::all(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  std::vector<Binding> out;
  for (auto& [name, list] : by_endpoint_)
    for (auto& b : list)
      if (b.expires_at > now) out.push_back(b);
  return out;
}

std::vector<Binding> Registrar::purge(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<Binding> gone;
  for (auto it = by_endpoint_.begin(); it != by_endpoint_.end();) {
    auto& list = it->second;
    for (auto b = list.begin(); b != list.end();) {
      if (b->expires_at <= now) {
        gone.push_back(std::move(*b));
        b = list.erase(b);
      } else {
        ++b;
      }
    }
    it = list.empty() ? by_endpoint_.erase(it) : std::next(it);
  }
  return gone;
}

}  // namespace zvon::sip
