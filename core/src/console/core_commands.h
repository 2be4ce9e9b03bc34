// The core's own console commands: core show ..., module ..., help, logger, core stop.
#pragma once
#include <vector>

#include "zvon/module.h"

namespace zvon {

class CoreImpl;

std::vector<Registration> register_core_commands(CoreImpl& core);

}  // namespace zvon
