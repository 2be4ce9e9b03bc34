#include "number_words.h"

#include <array>
#include <cctype>

namespace zvon::say {
namespace {

struct Entry {
  std::string_view prompt;
  std::string_view text;
};

// 0-19 and the tens share prompt names between the languages, so a language without its own
// file for a word falls back to the English one with the same meaning.
constexpr std::array<Entry, 20> kEnglishSmall{{
    {"num-0", "zero"},      {"num-1", "one"},        {"num-2", "two"},
    {"num-3", "three"},     {"num-4", "four"},       {"num-5", "five"},
    {"num-6", "six"},       {"num-7", "seven"},      {"num-8", "eight"},
    {"num-9", "nine"},      {"num-10", "ten"},       {"num-11", "eleven"},
    {"num-12", "twelve"},   {"num-13", "thirteen"},  {"num-14", "fourteen"},
    {"num-15", "fifteen"},  {"num-16", "sixteen"},   {"num-17", "seventeen"},
    {"num-18", "eighteen"}, {"num-19", "nineteen"},
}};
constexpr std::array<Entry, 10> kEnglishTens{{
    {}, {}, {"num-20", "twenty"}, {"num-30", "thirty"}, {"num-40", "forty"},
    {"num-50", "fifty"}, {"num-60", "sixty"}, {"num-70", "seventy"}, {"num-80", "eighty"},
    {"num-90", "ninety"},
}};
constexpr Entry kEnglishHundred{"num-hundred", "hundred"};
constexpr std::array<Entry, 4> kEnglishScales{{
    {}, {"num-thousand", "thousand"}, {"num-million", "million"}, {"num-billion", "billion"},
}};

constexpr std::array<Entry, 20> kRussianSmall{{
    {"num-0", "ноль"},           {"num-1", "один"},           {"num-2", "два"},
    {"num-3", "три"},            {"num-4", "четыре"},         {"num-5", "пять"},
    {"num-6", "шесть"},          {"num-7", "семь"},           {"num-8", "восемь"},
    {"num-9", "девять"},         {"num-10", "десять"},        {"num-11", "одиннадцать"},
    {"num-12", "двенадцать"},    {"num-13", "тринадцать"},    {"num-14", "четырнадцать"},
    {"num-15", "пятнадцать"},    {"num-16", "шестнадцать"},   {"num-17", "семнадцать"},
    {"num-18", "восемнадцать"},  {"num-19", "девятнадцать"},
}};
constexpr Entry kRussianOneFeminine{"num-1f", "одна"};
constexpr Entry kRussianOneNeuter{"num-1n", "одно"};
constexpr Entry kRussianTwoFeminine{"num-2f", "две"};
constexpr std::array<Entry, 10> kRussianTens{{
    {}, {}, {"num-20", "двадцать"}, {"num-30", "тридцать"}, {"num-40", "сорок"},
    {"num-50", "пятьдесят"}, {"num-60", "шестьдесят"}, {"num-70", "семьдесят"},
    {"num-80", "восемьдесят"}, {"num-90", "девяносто"},
}};
constexpr std::array<Entry, 10> kRussianHundreds{{
    {}, {"num-100", "сто"}, {"num-200", "двести"}, {"num-300", "триста"},
    {"num-400", "четыреста"}, {"num-500", "пятьсот"}, {"num-600", "шестьсот"},
    {"num-700", "семьсот"}, {"num-800", "восемьсот"}, {"num-900", "девятьсот"},
}};
// Each scale in its three forms: after 1 (тысяча), after 2-4 (тысячи), after 5-20 and 0
// (тысяч); the last two digits of the group decide (11-14 take the third form).
struct RussianScale {
  Entry one, few, many;
  Gender gender;  // тысяча is feminine: одна тысяча, две тысячи
};
const std::array<RussianScale, 4> kRussianScales{{
    {},
    {{"num-thousand-1", "тысяча"}, {"num-thousand-2", "тысячи"}, {"num-thousand-5", "тысяч"},
     Gender::Feminine},
    {{"num-million-1", "миллион"}, {"num-million-2", "миллиона"},
     {"num-million-5", "миллионов"}, Gender::Masculine},
    {{"num-billion-1", "миллиард"}, {"num-billion-2", "миллиарда"},
     {"num-billion-5", "миллиардов"}, Gender::Masculine},
}};

constexpr Entry kEnglishMinus{"num-minus", "minus"};
constexpr Entry kRussianMinus{"num-minus", "минус"};
constexpr Entry kEnglishStar{"digit-star", "star"};
constexpr Entry kEnglishPound{"digit-pound", "pound"};
constexpr Entry kRussianStar{"digit-star", "звёздочка"};
constexpr Entry kRussianPound{"digit-pound", "решётка"};

constexpr int64_t kLimit = 999'999'999'999;

void add(std::vector<Word>& out, const Entry& e) { out.push_back(Word{e.prompt, e.text}); }

// 1..999 in English: "two hundred forty two".
void english_group(std::vector<Word>& out, int n) {
  if (n >= 100) {
    add(out, kEnglishSmall[size_t(n / 100)]);
    add(out, kEnglishHundred);
    n %= 100;
  }
  if (n >= 20) {
    add(out, kEnglishTens[size_t(n / 10)]);
    n %= 10;
    if (n) add(out, kEnglishSmall[size_t(n)]);
  } else if (n > 0) {
    add(out, kEnglishSmall[size_t(n)]);
  }
}

// 1..999 in Russian, "one" and "two" agreeing with `gender`.
void russian_group(std::vector<Word>& out, int n, Gender gender) {
  if (n >= 100) {
    add(out, kRussianHundreds[size_t(n / 100)]);
    n %= 100;
  }
  if (n >= 20) {
    add(out, kRussianTens[size_t(n / 10)]);
    n %= 10;
  }
  if (n == 1 && gender == Gender::Feminine)
    add(out, kRussianOneFeminine);
  else if (n == 1 && gender == Gender::Neuter)
    add(out, kRussianOneNeuter);
  else if (n == 2 && gender == Gender::Feminine)
    add(out, kRussianTwoFeminine);
  else if (n > 0)
    add(out, kRussianSmall[size_t(n)]);
}

const Entry& russian_form(const RussianScale& s, int group) {
  const int last_two = group % 100, last = group % 10;
  if (last_two >= 11 && last_two <= 14) return s.many;
  if (last == 1) return s.one;
  if (last >= 2 && last <= 4) return s.few;
  return s.many;
}

}  // namespace

Language language_from_code(std::string_view code) {
  if (code.size() >= 2 && std::tolower(static_cast<unsigned char>(code[0])) == 'r' &&
      std::tolower(static_cast<unsigned char>(code[1])) == 'u' &&
      (code.size() == 2 || code[2] == '_' || code[2] == '-'))
    return Language::Russian;
  return Language::English;
}

std::vector<Word> number_words(int64_t number, Language language, Gender gender) {
  std::vector<Word> out;
  const bool russian = language == Language::Russian;
  if (number < -kLimit || number > kLimit) return out;  // parse_number keeps callers in range
  if (number == 0) {
    add(out, russian ? kRussianSmall[0] : kEnglishSmall[0]);
    return out;
  }
  if (number < 0) {
    add(out, russian ? kRussianMinus : kEnglishMinus);
    number = -number;
  }
  // Groups of three digits, the billions first.
  std::array<int, 4> groups{};
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i] = int(number % 1000);
    number /= 1000;
  }
  bool first = true;
  for (size_t scale = groups.size(); scale-- > 0;) {
    const int g = groups[scale];
    if (g == 0) continue;
    if (russian) {
      const Gender group_gender = scale == 0 ? gender : kRussianScales[scale].gender;
      // A leading thousand or million is said without "one": тысяча два, миллион.
      if (!(first && scale > 0 && g == 1)) russian_group(out, g, group_gender);
      if (scale > 0) add(out, russian_form(kRussianScales[scale], g));
    } else {
      english_group(out, g);
      if (scale > 0) add(out, kEnglishScales[scale]);
    }
    first = false;
  }
  return out;
}

Result<int64_t> parse_number(std::string_view text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty())
    return make_error("'" + std::string(text) + "' is not a number: give decimal digits");
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return make_error("'" + std::string(text) + "' is not a number: only digits and a sign");
    value = value * 10 + (c - '0');
    if (value > kLimit)
      return make_error("'" + std::string(text) + "' is too large to say: the limit is " +
                        std::to_string(kLimit));
  }
  return negative ? -value : value;
}

Result<Gender> parse_gender(std::string_view text) {
  if (text.empty() || text == "m" || text == "c") return Gender::Masculine;
  if (text == "f") return Gender::Feminine;
  if (text == "n") return Gender::Neuter;
  return make_error("gender '" + std::string(text) + "' is not one of m, f, n");
}

std::vector<Word> digit_words(std::string_view digits, Language language, std::string* rejected) {
  const bool russian = language == Language::Russian;
  std::vector<Word> out;
  for (char c : digits) {
    if (c >= '0' && c <= '9')
      add(out, (russian ? kRussianSmall : kEnglishSmall)[size_t(c - '0')]);
    else if (c == '*')
      add(out, russian ? kRussianStar : kEnglishStar);
    else if (c == '#')
      add(out, russian ? kRussianPound : kEnglishPound);
    else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
      continue;
    else if (rejected)
      rejected->push_back(c);
  }
  return out;
}

std::vector<Word> vocabulary(Language language) {
  std::vector<Word> out;
  if (language == Language::Russian) {
    for (const auto& e : kRussianSmall) add(out, e);
    add(out, kRussianOneFeminine);
    add(out, kRussianOneNeuter);
    add(out, kRussianTwoFeminine);
    for (size_t i = 2; i < kRussianTens.size(); ++i) add(out, kRussianTens[i]);
    for (size_t i = 1; i < kRussianHundreds.size(); ++i) add(out, kRussianHundreds[i]);
    for (size_t i = 1; i < kRussianScales.size(); ++i) {
      add(out, kRussianScales[i].one);
      add(out, kRussianScales[i].few);
      add(out, kRussianScales[i].many);
    }
    add(out, kRussianMinus);
    add(out, kRussianStar);
    add(out, kRussianPound);
  } else {
    for (const auto& e : kEnglishSmall) add(out, e);
    for (size_t i = 2; i < kEnglishTens.size(); ++i) add(out, kEnglishTens[i]);
    add(out, kEnglishHundred);
    for (size_t i = 1; i < kEnglishScales.size(); ++i) add(out, kEnglishScales[i]);
    add(out, kEnglishMinus);
    add(out, kEnglishStar);
    add(out, kEnglishPound);
  }
  return out;
}

std::string spoken(const std::vector<Word>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w.text;
  }
  return out;
}

}  // namespace zvon::say
