// SayNumber / SayDigits spelling (apps/app_say/number_words.cpp): Russian agreement of one
// and two with the noun, the three forms of тысяча / миллион / миллиард, English groups; and
// that every word the speller can produce has a prompt with the same text in sounds/prompts.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

#include <filesystem>

#include "core_impl.h"
#include "number_words.h"

using namespace zvon::say;

namespace {

std::string ru(int64_t n, Gender g = Gender::Masculine) {
  return spoken(number_words(n, Language::Russian, g));
}
std::string en(int64_t n) { return spoken(number_words(n, Language::English)); }

std::string prompts_of(const std::vector<Word>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + std::string(w.prompt);
  return out;
}

std::map<std::string, std::string> prompt_list(const std::string& lang) {
  std::ifstream in(std::string(ZVON_SOURCE_DIR) + "/sounds/prompts/" + lang + ".txt");
  REQUIRE(in);
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto bar = line.find('|');
    if (bar != std::string::npos) out[line.substr(0, bar)] = line.substr(bar + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("say: Russian numbers up to a thousand", "[say]") {
  CHECK(ru(0) == "ноль");
  CHECK(ru(1) == "один");
  CHECK(ru(2) == "два");
  CHECK(ru(7) == "семь");
  CHECK(ru(10) == "десять");
  CHECK(ru(11) == "одиннадцать");
  CHECK(ru(14) == "четырнадцать");
  CHECK(ru(19) == "девятнадцать");
  CHECK(ru(20) == "двадцать");
  CHECK(ru(21) == "двадцать один");
  CHECK(ru(40) == "сорок");
  CHECK(ru(99) == "девяносто девять");
  CHECK(ru(100) == "сто");
  CHECK(ru(101) == "сто один");
  CHECK(ru(110) == "сто десять");
  CHECK(ru(115) == "сто пятнадцать");
  CHECK(ru(200) == "двести");
  CHECK(ru(342) == "триста сорок два");
  CHECK(ru(999) == "девятьсот девяносто девять");
}

TEST_CASE("say: Russian one and two agree with the gender", "[say]") {
  CHECK(ru(1, Gender::Feminine) == "одна");
  CHECK(ru(2, Gender::Feminine) == "две");
  CHECK(ru(21, Gender::Feminine) == "двадцать одна");
  CHECK(ru(22, Gender::Feminine) == "двадцать две");
  CHECK(ru(1, Gender::Neuter) == "одно");
  CHECK(ru(2, Gender::Neuter) == "два");
  CHECK(ru(12, Gender::Feminine) == "двенадцать");  // no agreement inside 11-19
  CHECK(ru(3, Gender::Feminine) == "три");
  CHECK(prompts_of(number_words(21, Language::Russian, Gender::Feminine)) == "num-20 num-1f");
}

TEST_CASE("say: Russian thousands take тысяча / тысячи / тысяч and feminine one, two", "[say]") {
  CHECK(ru(1000) == "тысяча");
  CHECK(ru(1002) == "тысяча два");
  CHECK(ru(1001, Gender::Feminine) == "тысяча одна");
  CHECK(ru(2000) == "две тысячи");
  CHECK(ru(3000) == "три тысячи");
  CHECK(ru(4500) == "четыре тысячи пятьсот");
  CHECK(ru(5000) == "пять тысяч");
  CHECK(ru(10000) == "десять тысяч");
  CHECK(ru(11000) == "одиннадцать тысяч");
  CHECK(ru(12000) == "двенадцать тысяч");
  CHECK(ru(14000) == "четырнадцать тысяч");
  CHECK(ru(20000) == "двадцать тысяч");
  CHECK(ru(21000) == "двадцать одна тысяча");
  CHECK(ru(22000) == "двадцать две тысячи");
  CHECK(ru(25000) == "двадцать пять тысяч");
  CHECK(ru(100000) == "сто тысяч");
  CHECK(ru(111000) == "сто одиннадцать тысяч");
  CHECK(ru(101000) == "сто одна тысяча");
  CHECK(ru(2021) == "две тысячи двадцать один");
  CHECK(ru(999999) == "девятьсот девяносто девять тысяч девятьсот девяносто девять");
  CHECK(prompts_of(number_words(1002, Language::Russian)) == "num-thousand-1 num-2");
  CHECK(prompts_of(number_words(5000, Language::Russian)) == "num-5 num-thousand-5");
}

TEST_CASE("say: Russian millions and billions", "[say]") {
  CHECK(ru(1000000) == "миллион");
  CHECK(ru(1000001) == "миллион один");
  CHECK(ru(2000000) == "два миллиона");
  CHECK(ru(5000000) == "пять миллионов");
  CHECK(ru(11000000) == "одиннадцать миллионов");
  CHECK(ru(21000000) == "двадцать один миллион");
  CHECK(ru(3001000) == "три миллиона одна тысяча");
  CHECK(ru(1001000) == "миллион одна тысяча");
  CHECK(ru(1000000000) == "миллиард");
  CHECK(ru(2000000000) == "два миллиарда");
  CHECK(ru(999999999999) ==
        "девятьсот девяносто девять миллиардов девятьсот девяносто девять миллионов "
        "девятьсот девяносто девять тысяч девятьсот девяносто девять");
  CHECK(ru(-5) == "минус пять");
  CHECK(ru(-21000, Gender::Feminine) == "минус двадцать одна тысяча");
}

TEST_CASE("say: English numbers", "[say]") {
  CHECK(en(0) == "zero");
  CHECK(en(5) == "five");
  CHECK(en(13) == "thirteen");
  CHECK(en(21) == "twenty one");
  CHECK(en(40) == "forty");
  CHECK(en(100) == "one hundred");
  CHECK(en(115) == "one hundred fifteen");
  CHECK(en(342) == "three hundred forty two");
  CHECK(en(1000) == "one thousand");
  CHECK(en(1002) == "one thousand two");
  CHECK(en(21000) == "twenty one thousand");
  CHECK(en(1000000) == "one million");
  CHECK(en(2000001) == "two million one");
  CHECK(en(1234567890) ==
        "one billion two hundred thirty four million five hundred sixty seven thousand eight "
        "hundred ninety");
  CHECK(en(-7) == "minus seven");
  // English has no gender: f changes nothing.
  CHECK(spoken(number_words(1, Language::English, Gender::Feminine)) == "one");
  CHECK(prompts_of(number_words(342, Language::English)) == "num-3 num-hundred num-40 num-2");
}

TEST_CASE("say: parsing the number and the gender", "[say]") {
  CHECK(*parse_number("0") == 0);
  CHECK(*parse_number("007") == 7);
  CHECK(*parse_number("-15") == -15);
  CHECK(*parse_number("+15") == 15);
  CHECK(*parse_number("999999999999") == 999999999999);
  CHECK_FALSE(parse_number(""));
  CHECK_FALSE(parse_number("-"));
  CHECK_FALSE(parse_number("12a"));
  CHECK_FALSE(parse_number("1.5"));
  CHECK_FALSE(parse_number(" 12"));
  auto big = parse_number("1000000000000");
  REQUIRE_FALSE(big);
  CHECK(big.message().find("too large") != std::string::npos);
  CHECK_FALSE(parse_number("99999999999999999999999999"));  // no overflow on the way
  CHECK(*parse_gender("") == Gender::Masculine);
  CHECK(*parse_gender("f") == Gender::Feminine);
  CHECK(*parse_gender("n") == Gender::Neuter);
  CHECK_FALSE(parse_gender("x"));
}

TEST_CASE("say: digits one by one", "[say]") {
  std::string rejected;
  CHECK(spoken(digit_words("102", Language::English, &rejected)) == "one zero two");
  CHECK(spoken(digit_words("*0#", Language::Russian, &rejected)) == "звёздочка ноль решётка");
  CHECK(rejected.empty());
  CHECK(spoken(digit_words("+7 (495) 1-2", Language::Russian, &rejected)) ==
        "семь четыре девять пять один два");
  CHECK(rejected == "+");
  CHECK(digit_words("", Language::English).empty());
}

TEST_CASE("say: language codes", "[say]") {
  CHECK(language_from_code("ru") == Language::Russian);
  CHECK(language_from_code("RU") == Language::Russian);
  CHECK(language_from_code("ru_RU") == Language::Russian);
  CHECK(language_from_code("ru-RU") == Language::Russian);
  CHECK(language_from_code("en") == Language::English);
  CHECK(language_from_code("rus") == Language::English);
  CHECK(language_from_code("de") == Language::English);
  CHECK(language_from_code("") == Language::English);
}

TEST_CASE("say: every word has its prompt in sounds/prompts with the same text", "[say]") {
  for (auto [lang, code] : {std::pair{Language::English, "en"}, std::pair{Language::Russian, "ru"}}) {
    auto list = prompt_list(code);
    for (const auto& w : vocabulary(lang)) {
      INFO(code << ": " << w.prompt);
      REQUIRE(list.count(std::string(w.prompt)) == 1);
      CHECK(list[std::string(w.prompt)] == w.text);
    }
  }
}

TEST_CASE("say: the default language comes from zvon.conf, errors name file:line", "[say][config]") {
  auto dir = std::filesystem::temp_directory_path() /
             ("zvon-lang-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "zvon.conf") << "[general]\nlanguage = ru\n";
    auto s = zvon::read_core_settings(dir);
    REQUIRE(s);
    CHECK(s->language == "ru");
  }
  {
    std::ofstream(dir / "zvon.conf") << "[general]\n\nlanguage = r/u\n";
    auto s = zvon::read_core_settings(dir);
    REQUIRE_FALSE(s);
    CHECK(s.message().find("zvon.conf:3") != std::string::npos);
    CHECK(s.message().find("language") != std::string::npos);
  }
  {
    std::ofstream(dir / "zvon.conf") << "[general]\n";
    auto s = zvon::read_core_settings(dir);
    REQUIRE(s);
    CHECK(s->language == "en");
  }
  std::filesystem::remove_all(dir);
}
