// $[ ... ] expressions, as Asterisk's dialplan has them: arithmetic, comparisons, logic,
// string equality, regular-expression match, the ternary operator and parentheses. The text
// is evaluated after ${...} substitution. Pure; any thread.
#pragma once
#include <string>
#include <string_view>

#include "zvon/result.h"

namespace zvon {

// Evaluates the inside of $[...]. Values are strings; an operand is a number when it reads
// as a decimal number ("12", "-3", "2.5"). The error says what is wrong and at which column
// of `text` (counting from 1), for instance "column 5: '/' needs a number on its right, found 'abc'".
Result<std::string> evaluate_expression(std::string_view text);

// True for the values a condition treats as true: anything but "", "0" and other spellings
// of zero ("0.0", "-0").
bool expression_true(std::string_view value);

}  // namespace zvon
