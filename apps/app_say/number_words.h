// Spelling numbers and digit strings as the prompts that say them, in English and Russian.
// Pure functions (no channel, no files): SayNumber and SayDigits play what these return, and
// the unit tests check the words. The prompt texts live in sounds/prompts/<lang>.txt; the
// tests check that every prompt named here is there with the same text.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/result.h"

namespace zvon::say {

// Russian agrees "one" and "two" with the noun counted: один/одна/одно, два/две.
enum class Gender { Masculine, Feminine, Neuter };

// The languages that have spelling rules. Any other falls back to English.
enum class Language { English, Russian };
Language language_from_code(std::string_view code);  // "ru", "ru_RU", "ru-RU" → Russian

// One spoken word: the prompt file that says it ("num-21") and its text ("twenty-one").
struct Word {
  std::string_view prompt;
  std::string_view text;
};

// A number as words: 21 → twenty one / двадцать один; 1002 → one thousand two / тысяча два.
// Accepts -999999999999 .. 999999999999.
std::vector<Word> number_words(int64_t number, Language language,
                               Gender gender = Gender::Masculine);

// Parses SayNumber's argument: optional sign, decimal digits (leading zeros fine), within
// the range above. The error says what is wrong with the text.
Result<int64_t> parse_number(std::string_view text);

// Parses SayNumber's gender argument: "" or m, f, n (Asterisk's letters; c counts as m).
Result<Gender> parse_gender(std::string_view text);

// Each character of `digits` as a word: 0-9, * and #. Spaces, '-', '.', '(' and ')' are
// formatting and skipped; `rejected` gets any other character (the caller warns about it).
std::vector<Word> digit_words(std::string_view digits, Language language,
                              std::string* rejected = nullptr);

// Every word the two functions above can produce in `language`, for the prompt lists' test.
std::vector<Word> vocabulary(Language language);

// The texts joined with spaces: "двадцать один".
std::string spoken(const std::vector<Word>& words);

}  // namespace zvon::say
