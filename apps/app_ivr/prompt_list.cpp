#include "prompt_list.h"

namespace zvon::ivr {

std::vector<std::string> split_prompts(const std::string& list) {
  std::vector<std::string> files;
  size_t start = 0;
  while (start <= list.size()) {
    size_t amp = list.find('&', start);
    if (amp == std::string::npos) amp = list.size();
    if (amp > start) files.push_back(list.substr(start, amp - start));
    start = amp + 1;
  }
  return files;
}

}  // namespace zvon::ivr
