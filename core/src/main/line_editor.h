// The console's line editing on a terminal (libedit): prompt, emacs keys, history kept in a
// file, tab completion through a hook. The thread that created it, only.
#pragma once
#include <histedit.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zvon {

class LineEditor {
 public:
  struct Hooks {
    // Waits for one byte typed on the terminal, doing other work (printing log lines)
    // meanwhile. Returns 1 with the byte, 0 when the console should end, -1 on an error.
    std::function<int(char& byte)> read_byte;
    // Whole-word candidates for the last word of `line` (the text before the cursor).
    std::function<std::vector<std::string>(std::string_view line)> complete;
  };

  // `catch_signals`: let libedit restore the terminal on Ctrl-C and the like (a program of
  // its own); not when another part of the process handles signals.
  LineEditor(const char* program, std::string prompt, std::filesystem::path history_file,
             bool catch_signals, Hooks hooks);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // The next line, without its newline; nullopt at the end (Ctrl-D, or read_byte said so).
  std::optional<std::string> read_line();
  // Adds to the history (and its file).
  void remember(const std::string& line);
  // Prints a line; while read_line() waits, above the prompt and what is being typed.
  void print_above(std::string_view text);

 private:
  static char* prompt_of(EditLine* el);
  static int read_char(EditLine* el, wchar_t* out);
  static unsigned char complete_word(EditLine* el, int ch);
  static LineEditor& of(EditLine* el);
  unsigned char complete_here();

  std::string prompt_;
  std::filesystem::path history_file_;
  Hooks hooks_;
  bool reading_ = false;
  std::unique_ptr<History, void (*)(History*)> history_;
  std::unique_ptr<EditLine, void (*)(EditLine*)> el_;
};

}  // namespace zvon
