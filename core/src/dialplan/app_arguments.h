// Splitting an application's argument text, after variable expansion, into arguments.
// Pure functions; any thread.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace zvon {

// Splits at commas outside parentheses and double quotes. Double quotes group and are removed;
// a backslash makes the next character literal (\, \" \\). Text inside parentheses is kept as
// written, for functions that split their own arguments. Spaces around an argument are
// dropped unless quoted. An empty text gives no arguments; "a," gives {"a", ""}.
std::vector<std::string> split_app_arguments(std::string_view text);
// The same into `out`, whose strings are reused (a run splits every priority into one vector).
void split_app_arguments(std::string_view text, std::vector<std::string>& out);

}  // namespace zvon
