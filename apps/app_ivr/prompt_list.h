// "menu&options": the prompts an application plays one after the other.
#pragma once
#include <string>
#include <vector>

namespace zvon::ivr {

// Splits at '&'; empty names are dropped.
std::vector<std::string> split_prompts(const std::string& list);

}  // namespace zvon::ivr
