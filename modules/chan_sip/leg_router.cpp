#include "leg_router.h"

namespace zvon::sip {

LegRouter::LegRouter(Loops& loops) : loops_(loops) {
  for (size_t i = 0; i < loops.worker_count(); ++i)
    tables_.emplace(&loops.worker(i), std::make_unique<Table>());
}

void LegRouter::post(Loop& loop, uint64_t id, std::function<void(CallLeg&)> fn) {
  auto it = tables_.find(&loop);
  if (it == tables_.end()) return;
  Table* table = it->second.get();
  loop.post([table, id, fn = std::move(fn)] {
    auto leg = table->find(id);
    if (leg != table->end()) fn(*leg->second);
  });
}

void LegRouter::add(Loop& loop, uint64_t id, CallLeg* leg) { tables_.at(&loop)->emplace(id, leg); }

void LegRouter::remove(Loop& loop, uint64_t id) {
  auto it = tables_.find(&loop);
  if (it != tables_.end()) it->second->erase(id);
}

CallLeg* LegRouter::find(Loop& loop, uint64_t id) {
  auto it = tables_.find(&loop);
  if (it == tables_.end()) return nullptr;
  auto leg = it->second->find(id);
  return leg == it->second->end() ? nullptr : leg->second;
}

void LegRouter::flush() {
  // Twice: a job run in the first round may have posted another.
  for (int round = 0; round < 2; ++round)
    for (size_t i = 0; i < loops_.worker_count(); ++i) loops_.worker(i).run_sync([] {});
}

}  // namespace zvon::sip
