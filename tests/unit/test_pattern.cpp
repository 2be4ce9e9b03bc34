#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "dialplan/compiled_dialplan.h"
#include "dialplan/dialplan_compiler.h"
#include "dialplan/extension_pattern.h"

using namespace zvon;

namespace {

ExtensionPattern pat(std::string_view text) {
  auto p = ExtensionPattern::parse(text);
  if (!p) FAIL("pattern " << text << " did not parse: " << p.message());
  return *p;
}

bool matches(std::string_view pattern, std::string_view exten) { return pat(pattern).matches(exten); }

// The pattern of `candidates` that a context holding all of them runs for `exten`.
std::string winner(std::vector<std::string> candidates, std::string_view exten) {
  std::string text = "[t]\n";
  for (auto& c : candidates) text += "exten => " + c + ",1,NoOp()\n";
  auto config = Config::parse_string(text, "t.conf");
  REQUIRE(config);
  auto compiled = compile_dialplan(*config);
  REQUIRE(compiled.ok());
  auto* e = compiled.plan->match("t", exten);
  return e ? e->name : "";
}

}  // namespace

TEST_CASE("pattern: X Z N and literal digits", "[pattern]") {
  CHECK(matches("_1XX", "100"));
  CHECK(matches("_1XX", "199"));
  CHECK_FALSE(matches("_1XX", "200"));
  CHECK_FALSE(matches("_1XX", "10"));
  CHECK_FALSE(matches("_1XX", "1000"));
  CHECK_FALSE(matches("_1XX", "1a0"));
  CHECK(matches("_x", "0"));  // lower case letters are the same classes

  CHECK(matches("_Z", "1"));
  CHECK(matches("_Z", "9"));
  CHECK_FALSE(matches("_Z", "0"));
  CHECK(matches("_N", "2"));
  CHECK_FALSE(matches("_N", "1"));
  CHECK_FALSE(matches("_N", "0"));
  CHECK(matches("_NXXNXXXXXX", "2125551234"));
  CHECK_FALSE(matches("_NXXNXXXXXX", "2121551234"));
  CHECK(matches("_*7X", "*71"));
  CHECK(matches("_#", "#"));
  CHECK(matches("_+7XXX", "+7123"));
}

TEST_CASE("pattern: character sets and ranges", "[pattern]") {
  CHECK(matches("_[1-5]", "1"));
  CHECK(matches("_[1-5]", "5"));
  CHECK_FALSE(matches("_[1-5]", "6"));
  CHECK(matches("_[135]X", "30"));
  CHECK_FALSE(matches("_[135]X", "20"));
  CHECK(matches("_[1-35-7]", "6"));
  CHECK_FALSE(matches("_[1-35-7]", "4"));
  CHECK(matches("_[a-c]1", "b1"));
  CHECK_FALSE(matches("_[a-c]1", "d1"));
  CHECK(matches("_[1-]", "-"));  // a '-' with nothing after it is itself
  CHECK(matches("_1-800-XXX", "1800555"));  // '-' outside a set is only grouping
}

TEST_CASE("pattern: . is one or more, ! is zero or more", "[pattern]") {
  CHECK(matches("_9.", "91"));
  CHECK(matches("_9.", "9123456"));
  CHECK_FALSE(matches("_9.", "9"));
  CHECK_FALSE(matches("_9.", "81"));
  CHECK(matches("_9!", "9"));
  CHECK(matches("_9!", "912"));
  CHECK_FALSE(matches("_9!", "8"));
  CHECK(matches("_.", "anything"));
  CHECK_FALSE(matches("_.", ""));
  CHECK(matches("_!", ""));
}

TEST_CASE("pattern: malformed patterns are refused with the offending position", "[pattern]") {
  size_t at = 99;
  auto r = ExtensionPattern::parse("_12[3-5", &at);
  REQUIRE(!r);
  CHECK(at == 3);
  CHECK(r.message().find("unclosed '['") != std::string::npos);

  r = ExtensionPattern::parse("_1[]", &at);
  REQUIRE(!r);
  CHECK(at == 2);

  r = ExtensionPattern::parse("_[5-1]", &at);
  REQUIRE(!r);
  CHECK(at == 2);
  CHECK(r.message().find("runs backwards") != std::string::npos);

  r = ExtensionPattern::parse("_9.1", &at);
  REQUIRE(!r);
  CHECK(at == 3);

  r = ExtensionPattern::parse("_1X/100", &at);
  REQUIRE(!r);
  CHECK(at == 3);

  r = ExtensionPattern::parse("_1 2", &at);
  REQUIRE(!r);
  CHECK(at == 2);

  CHECK(!ExtensionPattern::parse("_"));
  CHECK(!ExtensionPattern::parse("_---"));
  CHECK(!ExtensionPattern::parse("123"));
}

TEST_CASE("pattern precedence: the most specific pattern wins, exact beats all", "[pattern]") {
  // Exact beats any pattern.
  CHECK(winner({"_1XX", "100", "_X.", "_!"}, "100") == "100");
  CHECK(winner({"_1XX", "100"}, "101") == "_1XX");
  // A literal digit beats a set; a smaller set beats a larger one.
  CHECK(winner({"_1XX", "_10X"}, "105") == "_10X");
  CHECK(winner({"_XXX", "_NXX"}, "205") == "_NXX");
  CHECK(winner({"_XXX", "_ZXX"}, "105") == "_ZXX");
  CHECK(winner({"_ZXX", "_NXX"}, "205") == "_NXX");
  CHECK(winner({"_[1-5]XX", "_NXX"}, "205") == "_[1-5]XX");
  CHECK(winner({"_[1-5]XX", "_[2-3]XX"}, "205") == "_[2-3]XX");
  // Decided at the first position that differs, left to right.
  CHECK(winner({"_1X5", "_12X"}, "125") == "_12X");
  CHECK(winner({"_X23", "_1XX"}, "123") == "_1XX");
  // Any set beats '.', '.' beats '!'.
  CHECK(winner({"_1.", "_1XX"}, "123") == "_1XX");
  CHECK(winner({"_1!", "_1."}, "123") == "_1.");
  CHECK(winner({"_X.", "_1!"}, "123") == "_1!");  // the first position decides
  // The end of a pattern beats '!' for the same number.
  CHECK(winner({"_1XX!", "_1XX"}, "123") == "_1XX");
  CHECK(winner({"_1XX!", "_1XX"}, "1234") == "_1XX!");
  // Equal set sizes: the set with the lower digits comes first, whatever the file order.
  CHECK(winner({"_[3-4]X", "_[2-3]X"}, "30") == "_[2-3]X");
  CHECK(winner({"_[2-3]X", "_[3-4]X"}, "30") == "_[2-3]X");
  CHECK(winner({"_[24]X", "_[23]X"}, "20") == "_[23]X");
  // No match at all.
  CHECK(winner({"_1XX", "_2."}, "300").empty());
}

TEST_CASE("pattern ordering is a strict weak order over a mixed list", "[pattern]") {
  std::vector<std::string> texts = {"_X.", "_1XX", "_!", "_NXX", "_12X", "_1.", "_[1-3]XX", "_ZXX", "_123"};
  std::vector<ExtensionPattern> list;
  for (auto& t : texts) list.push_back(pat(t));
  std::sort(list.begin(), list.end(),
            [](auto& a, auto& b) { return ExtensionPattern::compare(a, b) < 0; });
  std::vector<std::string> order;
  for (auto& p : list) order.push_back(p.text());
  CHECK(order == std::vector<std::string>{"_123", "_12X", "_1XX", "_1.", "_[1-3]XX", "_NXX",
                                          "_ZXX", "_X.", "_!"});
  for (auto& a : list) {
    CHECK(ExtensionPattern::compare(a, a) == 0);
    for (auto& b : list) CHECK(ExtensionPattern::compare(a, b) == -ExtensionPattern::compare(b, a));
  }
}

namespace {

std::shared_ptr<const CompiledDialplan> plan_of(const std::string& text) {
  auto config = Config::parse_string(text, "t.conf");
  REQUIRE(config);
  auto compiled = compile_dialplan(*config);
  REQUIRE(compiled.ok());
  return compiled.plan;
}

}  // namespace

TEST_CASE("pattern index: the same winner as trying the sorted patterns one by one", "[pattern]") {
  const std::vector<std::string> patterns{
      "_1XX", "_1ZX", "_1NX", "_12X", "_123", "_1.", "_1!", "_X.", "_X!", "_[1-3]XX", "_[13]2X",
      "_NXXXXXX", "_9X.", "_9[0-5]!", "_*X#", "_#.", "_12[3-5]X", "_1-2-X", "_.", "_!"};
  std::string text = "[t]\n";
  for (auto& p : patterns) text += "exten => " + p + ",1,NoOp()\n";
  auto plan = plan_of(text);
  const CompiledContext& t = *plan->context("t");
  std::vector<std::string> numbers{"", "1", "12", "123", "124", "1234", "199", "200", "9", "90",
                                   "905", "9555", "2345678", "*1#", "#", "#1", "1-2", "12356"};
  for (char a : std::string("0129*#"))
    for (char b : std::string("0359#")) numbers.push_back(std::string{a, b, '3'});
  for (auto& n : numbers) {
    const CompiledExtension* linear = nullptr;
    for (const CompiledExtension& e : t.patterns)
      if (e.pattern->matches(n)) {
        linear = &e;
        break;
      }
    INFO("number '" << n << "'");
    CHECK(t.match(n) == linear);
  }
}

TEST_CASE("lookahead: exact, more, both, across patterns and includes", "[pattern]") {
  auto plan = plan_of(
      "[menu]\nexten => 1,1,NoOp()\nexten => 12,1,NoOp()\nexten => 123,1,NoOp()\n"
      "exten => _4XX,1,NoOp()\nexten => _5.,1,NoOp()\nexten => _6!,1,NoOp()\n"
      "include => more\n"
      "[more]\nexten => 7001,1,NoOp()\n");
  auto at = [&](std::string_view e) { return plan->lookahead("menu", e, 0); };
  auto is = [](DigitMatch m, bool exact, bool more) { return m.exact == exact && m.more == more; };
  CHECK(is(at("1"), true, true));
  CHECK(is(at("12"), true, true));
  CHECK(is(at("123"), true, false));
  CHECK(is(at("13"), false, false));
  CHECK(is(at("4"), false, true));
  CHECK(is(at("41"), false, true));
  CHECK(is(at("412"), true, false));
  CHECK(is(at("5"), false, true));
  CHECK(is(at("55"), true, true));   // '.' always takes one more
  CHECK(is(at("6"), true, false));   // '!' matches early and never asks for more
  CHECK(is(at("7"), false, true));   // through the include
  CHECK(is(at("7001"), true, false));
  CHECK(is(at("8"), false, false));
  CHECK(is(plan->lookahead("nowhere", "1", 0), false, false));
}

// The exact names are sorted by their first eight bytes as a number, then by text: the answer
// must be that of looking at every name, also for names that share eight bytes or are shorter.
TEST_CASE("lookahead: exact names against every name tried", "[pattern]") {
  std::mt19937 rng(7);
  const std::string keys = "0123456789*#";
  std::set<std::string> names;
  std::string text = "[menu]\n";
  for (int i = 0; i < 600; ++i) {
    // Many share the prefix 12345678 so that ties past eight bytes are common.
    std::string name = i % 3 == 0 ? "12345678" : "";
    for (size_t n = 1 + rng() % (i % 3 == 0 ? 4 : 10); n > 0; --n) name += keys[rng() % keys.size()];
    if (names.insert(name).second) text += "exten => " + name + ",1,NoOp()\n";
  }
  auto plan = plan_of(text);
  std::vector<std::string> queries(names.begin(), names.end());
  for (const std::string& name : names)
    for (size_t cut = 1; cut < name.size(); ++cut) queries.push_back(name.substr(0, cut));
  for (int i = 0; i < 300; ++i) {
    std::string q;
    for (size_t n = 1 + rng() % 11; n > 0; --n) q += keys[rng() % keys.size()];
    queries.push_back(q);
  }
  for (const std::string& q : queries) {
    bool exact = names.count(q) > 0, more = false;
    for (const std::string& name : names) more |= name.size() > q.size() && name.compare(0, q.size(), q) == 0;
    DigitMatch m = plan->lookahead("menu", q, 0);
    INFO(q);
    CHECK(m.exact == exact);
    CHECK(m.more == more);
  }
}
