#include "main/line_editor.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cwchar>

namespace zvon {

LineEditor::LineEditor(const char* program, std::string prompt, std::filesystem::path history_file,
                       bool catch_signals, Hooks hooks)
    : prompt_(std::move(prompt)),
      history_file_(std::move(history_file)),
      hooks_(std::move(hooks)),
      history_(history_init(), history_end),
      el_(el_init(program, stdin, stdout, stderr), el_end) {
  HistEvent ev;
  history(history_.get(), &ev, H_SETSIZE, 1000);
  history(history_.get(), &ev, H_SETUNIQUE, 1);
  if (!history_file_.empty()) history(history_.get(), &ev, H_LOAD, history_file_.c_str());

  EditLine* el = el_.get();
  el_set(el, EL_CLIENTDATA, this);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, catch_signals ? 1 : 0);
  el_set(el, EL_PROMPT, &LineEditor::prompt_of);
  el_set(el, EL_HIST, history, history_.get());
  el_set(el, EL_GETCFN, &LineEditor::read_char);
  // The wide call: libedit's narrow EL_ADDFN copies the strings and never frees them.
  el_wset(el, EL_ADDFN, L"zvon-complete", L"Complete the word from the daemon's commands",
          &LineEditor::complete_word);
  el_set(el, EL_BIND, "^I", "zvon-complete", nullptr);
  // The operator's ~/.editrc may rebind keys.
  el_source(el, nullptr);
}

LineEditor::~LineEditor() {
  if (!history_file_.empty()) {
    HistEvent ev;
    history(history_.get(), &ev, H_SAVE, history_file_.c_str());
  }
}

LineEditor& LineEditor::of(EditLine* el) {
  void* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  return *static_cast<LineEditor*>(self);
}

char* LineEditor::prompt_of(EditLine* el) { return of(el).prompt_.data(); }

int LineEditor::read_char(EditLine* el, wchar_t* out) {
  LineEditor& self = of(el);
  std::mbstate_t state{};
  for (;;) {
    char byte;
    int r = self.hooks_.read_byte(byte);
    if (r <= 0) return r;
    size_t n = std::mbrtowc(out, &byte, 1, &state);
    if (n == size_t(-2)) continue;  // the middle of a multibyte character
    if (n == size_t(-1)) {          // not valid in the locale: pass the byte on
      *out = wchar_t(static_cast<unsigned char>(byte));
      state = {};
    }
    return 1;
  }
}

unsigned char LineEditor::complete_word(EditLine* el, int) { return of(el).complete_here(); }

unsigned char LineEditor::complete_here() {
  const LineInfo* li = el_line(el_.get());
  std::string before(li->buffer, size_t(li->cursor - li->buffer));
  size_t start = before.find_last_of(" \t");
  std::string partial = start == std::string::npos ? before : before.substr(start + 1);
  auto matches = hooks_.complete(before);
  std::erase_if(matches, [&](const std::string& m) { return !m.starts_with(partial); });
  if (matches.empty()) return CC_REFRESH_BEEP;

  std::string common = matches.front();
  for (auto& m : matches) {
    size_t i = 0;
    while (i < common.size() && i < m.size() && common[i] == m[i]) ++i;
    common.resize(i);
  }
  if (matches.size() == 1) {
    el_insertstr(el_.get(), (common.substr(partial.size()) + " ").c_str());
    return CC_REFRESH;
  }
  if (common.size() > partial.size()) {
    el_insertstr(el_.get(), common.substr(partial.size()).c_str());
    return CC_REFRESH;
  }
  // Ambiguous: show the candidates in columns under the line, then redraw it.
  size_t width = 0;
  for (auto& m : matches) width = std::max(width, m.size());
  width += 2;
  size_t per_row = std::max<size_t>(1, 78 / width);
  std::string text = "\n";
  for (size_t i = 0; i < matches.size(); ++i) {
    text += matches[i];
    bool row_end = (i + 1) % per_row == 0 || i + 1 == matches.size();
    text += row_end ? std::string("\n") : std::string(width - matches[i].size(), ' ');
  }
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

std::optional<std::string> LineEditor::read_line() {
  int count = 0;
  reading_ = true;
  const char* line = el_gets(el_.get(), &count);
  reading_ = false;
  if (!line) {
    // Ctrl-D on an empty line: end the prompt's line so the shell starts on a fresh one.
    std::fputs("\n", stdout);
    std::fflush(stdout);
    return std::nullopt;
  }
  std::string s(line, size_t(count));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void LineEditor::remember(const std::string& line) {
  HistEvent ev;
  history(history_.get(), &ev, H_ENTER, line.c_str());
  if (!history_file_.empty()) history(history_.get(), &ev, H_SAVE, history_file_.c_str());
}

void LineEditor::print_above(std::string_view text) {
  std::string out;
  if (reading_) out = "\r\033[K";  // erase the prompt line, print, then let libedit redraw it
  out.append(text);
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (reading_) el_set(el_.get(), EL_REFRESH);
}

}  // namespace zvon
