#include "dialplan/app_arguments.h"

namespace zvon {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::vector<std::string> split_app_arguments(std::string_view text) {
  std::vector<std::string> out;
  split_app_arguments(text, out);
  return out;
}

void split_app_arguments(std::string_view text, std::vector<std::string>& out) {
  // Reuses the strings already in `out`: assigning into them keeps their memory.
  size_t used = 0;
  auto next = [&]() -> std::string& {
    if (used == out.size()) out.emplace_back();
    std::string& s = out[used++];
    s.clear();
    return s;
  };
  if (text.empty()) {
    out.clear();
    return;
  }

  std::string current;
  // Characters up to `keep` in `current` came from quotes or escapes: trimming stops there.
  size_t keep = 0;
  bool started = false;  // something other than leading blanks was seen
  int depth = 0;
  bool quoted = false;
  auto finish = [&] {
    while (current.size() > keep && is_blank(current.back())) current.pop_back();
    next().swap(current);  // `current` takes the old string's memory for the next argument
    current.clear();
    keep = 0;
    started = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (depth > 0) {
      // Inside parentheses everything is kept for the function that owns them.
      if (c == '\\' && i + 1 < text.size()) {
        current += c;
        current += text[++i];
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (!quoted) {
        if (c == '(') ++depth;
        if (c == ')') --depth;
      }
      current += c;
      keep = current.size();
      continue;
    }
    if (c == '\\' && i + 1 < text.size()) {
      current += text[++i];
      keep = current.size();
      started = true;
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
      started = true;
      keep = current.size();
      continue;
    }
    if (quoted) {
      current += c;
      keep = current.size();
      continue;
    }
    if (c == ',') {
      finish();
      continue;
    }
    if (!started && is_blank(c)) continue;
    started = true;
    if (c == '(') ++depth;
    current += c;
    if (c == '(') keep = current.size();
  }
  finish();
  out.resize(used);
}

}  // namespace zvon
