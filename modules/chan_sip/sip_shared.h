// What the parts of chan_sip share: owned by the module object, outlives every call leg,
// every job it posts to a loop (LegRouter::flush) and the SIP thread.
// Threads: the members say which thread may use them; references may be taken anywhere.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

#include "digest_auth.h"
#include "leg_router.h"
#include "registrar.h"
#include "registration_store.h"
#include "sip_agent.h"
#include "sip_config.h"
#include "sofia_thread.h"
#include "zvon/core.h"

namespace zvon::sip {

struct SipShared {
  SipShared(ModuleContext& module_ctx, std::shared_ptr<const SipConfig> initial)
      : ctx(module_ctx), core(module_ctx.core()), config(std::move(initial)), router(core.loops()) {}

  ModuleContext& ctx;
  Core& core;
  SipConfigHolder config;      // any thread
  Registrar registrar;         // any thread
  DigestAuth auth;             // any thread (const)
  LegRouter router;            // see leg_router.h
  SofiaThread thread;          // post() from any thread
  std::atomic<uint64_t> next_leg_id{1};
  std::unique_ptr<SipAgent> agent;  // its public commands: any thread
  // Made on the core loop before the SIP thread starts, gone after it stopped; its
  // saved()/removed() any thread.
  std::unique_ptr<RegistrationStore> store;

  uint64_t new_leg_id() { return next_leg_id.fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace zvon::sip
