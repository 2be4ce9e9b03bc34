#include <catch2/catch.hpp>

#include "dialplan/app_arguments.h"
#include "dialplan/dialplan_compiler.h"
#include "dialplan/variable_expander.h"
#include "zvon/log.h"

using namespace zvon;

namespace {

DialplanCompileResult compile(std::string_view text) {
  auto config = Config::parse_string(text, "ext.conf");
  if (!config) FAIL("config did not parse: " << config.message());
  return compile_dialplan(*config);
}

std::vector<std::string> error_lines(const DialplanCompileResult& r) {
  std::vector<std::string> out;
  for (auto& e : r.errors) out.push_back(e.str());
  return out;
}

struct MapSource : VariableSource {
  std::map<std::string, std::string> vars;
  std::optional<std::string> variable(std::string_view name) override {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }
  Result<std::string> function(std::string_view name, std::string_view args) override {
    if (name == "UPPER") {
      std::string s(args);
      for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
      return s;
    }
    return make_error(cat("unknown function ", name, "()"));
  }
};

}  // namespace

TEST_CASE("dialplan parse: contexts, exten, same, n, labels, globals", "[dialplan]") {
  auto r = compile(
      "[globals]\n"
      "TRUNK=SIP/trunk\n"
      "[internal]\n"
      "exten => 100,1,Answer\n"
      " same => n(dial),Dial(SIP/100,30)\n"
      " same => n,Hangup()\n"
      "exten => _1XX,1,Dial(SIP/${EXTEN})\n"
      "exten => _1XX,5(late),NoOp(a, \"b,c\" ,d\\,e)\n"
      "exten => _1XX,n,NoOp()\n"
      "[other]\n"
      "exten = s,1,Goto(internal,100,dial)\n");
  REQUIRE(error_lines(r) == std::vector<std::string>{});
  auto& plan = *r.plan;
  CHECK(plan.contexts.size() == 2);
  CHECK(plan.extension_count() == 3);
  CHECK(plan.global("TRUNK") == std::optional<std::string_view>("SIP/trunk"));

  auto* e100 = plan.match("internal", "100");
  REQUIRE(e100);
  CHECK(e100->name == "100");
  REQUIRE(e100->priorities.size() == 3);
  CHECK(e100->priority(1)->app == "Answer");
  CHECK(e100->priority(1)->args.empty());
  CHECK(e100->priority(2)->app == "Dial");
  CHECK(e100->priority(2)->args == "SIP/100,30");
  CHECK(e100->priority(2)->label == "dial");
  CHECK(e100->priority(3)->app == "Hangup");
  CHECK(e100->priority(3)->pos.str() == "ext.conf:6:2");
  CHECK(e100->resolve("dial") == std::optional<int>(2));
  CHECK(e100->resolve("3") == std::optional<int>(3));
  CHECK(!e100->resolve("4"));
  CHECK(!e100->resolve("nolabel"));

  auto* p = plan.match("internal", "105");
  REQUIRE(p);
  CHECK(p->name == "_1XX");
  CHECK(p->resolve("late") == std::optional<int>(5));
  REQUIRE(p->priority(6));  // n after 5
  CHECK(!p->priority(2));
  CHECK(split_app_arguments(p->priority(5)->args) == std::vector<std::string>{"a", "b,c", "d,e"});
  CHECK(plan.match("other", "s"));
  CHECK(!plan.match("other", "100"));
  CHECK(!plan.match("nowhere", "100"));
}

TEST_CASE("dialplan parse: every error is reported with file:line:column", "[dialplan]") {
  auto r = compile(
      "[internal]\n"                             // 1
      "exten => 100,1,Answer()\n"                // 2
      "same => n,Dial(SIP/100\n"                 // 3  missing ')'
      "exten => 101,n,Answer()\n"                // 4  n before any number
      "exten => 100,1,Hangup()\n"                // 5  duplicate priority
      "exten => _12[3,1,NoOp()\n"                // 6  unclosed [
      "exten => 102,1,Dial SIP/101\n"            // 7  missing (
      "exten => 103,x,NoOp()\n"                  // 8  bad priority
      "[other]\n"                                // 9
      "same => n,NoOp()\n"                       // 10 same without exten
      "foo => bar\n"                             // 11 unknown line
      "exten => 104,1(start),NoOp()\n"           // 12
      "exten => 104,n(start),NoOp()\n"           // 13 duplicate label
      "exten => 105,1,Playback(${FOO)\n"         // 14 unclosed ${
      "exten => 106\n"                           // 15 no priority
      "exten => 107,1,\n"                        // 16 no application
      "exten => 108,1,Dial(x)y\n"                // 17 text after )
      "exten => 10 9,1,NoOp()\n"                 // 18 space in a name
      "[bad name]\n"                             // 19 context name
      "exten => 1,1,NoOp()\n");                  // 20
  CHECK(!r.ok());
  CHECK(r.plan == nullptr);
  CHECK(error_lines(r) == std::vector<std::string>{
      "ext.conf:3:15: missing ')' to close 'Dial(SIP/100'",
      "ext.conf:4:14: priority 'n' of extension '101' comes before any numbered priority: start the extension with 1",
      "ext.conf:5:14: duplicate priority 1 of extension '100' in [internal] (already at ext.conf:2)",
      "ext.conf:6:13: unclosed '[' in pattern '_12[3': a set is written like [1-5]",
      "ext.conf:7:20: missing '(' after application name in 'Dial SIP/101': write App(arguments)",
      "ext.conf:8:14: priority 'x' must be a number from 1, or 'n', optionally with a (label)",
      "ext.conf:10:1: 'same =>' in [other] has no extension to continue: write 'exten => NAME,1,App()' before it",
      "ext.conf:11:1: unknown line 'foo' in context [other]: a context holds 'exten => ...' and 'same => ...' lines",
      "ext.conf:13:14: duplicate label 'start' in extension '104' of [other] (already priority 1)",
      "ext.conf:14:25: '${' without its closing '}' in the arguments of Playback()",
      "ext.conf:15:10: expected 'exten => NAME,PRIORITY,Application(arguments)', found '106'",
      "ext.conf:16:16: missing the application after the priority",
      "ext.conf:17:23: unexpected 'y' after the closing ')' of Dial()",
      "ext.conf:18:12: ' ' is not allowed in extension '10 9' (a pattern starts with '_')",
      "ext.conf:19:2: context name 'bad name' may hold letters, digits and _ - . + only",
  });
  CHECK(r.message().find("ext.conf:3:15: missing ')'") == 0);
}

TEST_CASE("dialplan parse: a syntax error of the file itself is one error", "[dialplan]") {
  auto r = compile_dialplan_file("/nonexistent/extensions.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].str().find("cannot read /nonexistent/extensions.conf") == 0);
}

TEST_CASE("dialplan parse: include of a missing context is an error", "[dialplan]") {
  auto r = compile("[a]\ninclude => b\nexten => 1,1,NoOp()\n");
  CHECK(error_lines(r) == std::vector<std::string>{
      "ext.conf:2:12: include => b: there is no context [b] in the dialplan",
  });
}

TEST_CASE("dialplan parse: hints, and their mistakes", "[dialplan]") {
  auto r = compile("[a]\nexten => 101,hint,SIP/101&SIP/101b\nexten => 101,1,Dial(SIP/101)\n");
  REQUIRE(r.ok());
  const CompiledContext& a = *r.plan->context("a");
  REQUIRE(a.hints.count("101") == 1);
  CHECK(a.hints.find("101")->second.devices == "SIP/101&SIP/101b");
  CHECK(a.hints.find("101")->second.pos.line == 2);
  // A hint is no extension: 102 has only a hint, so no call runs it.
  r = compile("[a]\nexten => 102,hint,SIP/102\nexten => 1,1,NoOp()\n");
  REQUIRE(r.ok());
  CHECK(r.plan->match("a", "102") == nullptr);
  CHECK(!r.plan->lookahead("a", "10", 0).more);
  r = compile(
      "[a]\nexten => 1,hint,SIP/1\nexten => 1,hint,SIP/2\nexten => _1X,hint,SIP/3\n"
      "exten => 2,hint,\nexten => 3,1,NoOp()\n same => hint,SIP/3\n");
  CHECK(error_lines(r) == std::vector<std::string>{
      "ext.conf:3:10: second hint for '1' in [a] (the first is at ext.conf:2)",
      "ext.conf:4:10: a hint needs an exact extension, not the pattern '_1X'",
      "ext.conf:5:17: hint of '2' names no device: write 'exten => 2,hint,SIP/2'",
      "ext.conf:7:10: a hint is written on an 'exten =>' line of its own: 'exten => 3,hint,DEVICE'",
  });
}

TEST_CASE("arguments: split at top-level commas, respecting parentheses, quotes and escapes", "[dialplan]") {
  CHECK(split_app_arguments("").empty());
  CHECK(split_app_arguments("a") == std::vector<std::string>{"a"});
  CHECK(split_app_arguments("a,") == std::vector<std::string>{"a", ""});
  CHECK(split_app_arguments("SIP/101&SIP/102,20") == std::vector<std::string>{"SIP/101&SIP/102", "20"});
  CHECK(split_app_arguments(" a , b ") == std::vector<std::string>{"a", "b"});
  CHECK(split_app_arguments("\" a \",b") == std::vector<std::string>{" a ", "b"});
  CHECK(split_app_arguments("x=FUNC(1,2),y") == std::vector<std::string>{"x=FUNC(1,2)", "y"});
  CHECK(split_app_arguments("a(b(c,d),e),f") == std::vector<std::string>{"a(b(c,d),e)", "f"});
  CHECK(split_app_arguments("a\\,b,c") == std::vector<std::string>{"a,b", "c"});
  CHECK(split_app_arguments("say \\\"hi\\\"") == std::vector<std::string>{"say \"hi\""});
  CHECK(split_app_arguments("\"(,\",x") == std::vector<std::string>{"(,", "x"});
}

TEST_CASE("expansion: variables, functions, substrings, nesting", "[dialplan]") {
  MapSource s;
  s.vars = {{"EXTEN", "5551234"}, {"NAME", "EXTEN"}, {"A", "x"}};
  auto ex = [&](std::string_view t) {
    auto r = expand_variables(t, s);
    REQUIRE(r);
    return *r;
  };
  CHECK(ex("SIP/${EXTEN}") == "SIP/5551234");
  CHECK(ex("${EXTEN:1}") == "551234");
  CHECK(ex("${EXTEN:0:3}") == "555");
  CHECK(ex("${EXTEN:-4}") == "1234");
  CHECK(ex("${EXTEN:-4:2}") == "12");
  CHECK(ex("${EXTEN:1:-2}") == "5512");
  CHECK(ex("${EXTEN:20}") == "");
  CHECK(ex("${${NAME}}") == "5551234");
  CHECK(ex("[${MISSING}]") == "[]");
  CHECK(ex("${UPPER(abc${A})}") == "ABCX");
  CHECK(ex("${UPPER(abc):1:1}") == "B");
  CHECK(ex("no vars, $5 and $[1+1]") == "no vars, $5 and 2");
  CHECK(!expand_variables("${EXTEN", s));
  CHECK(!expand_variables("${NOPE(x)}", s));
  CHECK(!expand_variables("${EXTEN:a}", s));
  CHECK(expand_variables("${NOPE(x)}", s).message() == "unknown function NOPE()");
}

TEST_CASE("the shipped demo dialplan compiles and routes the demo numbers", "[dialplan]") {
  auto r = compile_dialplan_file(std::string(ZVON_SOURCE_DIR) + "/dialplan/extensions.conf");
  REQUIRE(r.message() == "");
  auto& plan = *r.plan;
  CHECK(plan.global("RING_TIMEOUT") == std::optional<std::string_view>("30"));
  auto* phone = plan.match("internal", "102");
  REQUIRE(phone);
  CHECK(phone->name == "_1XX");
  CHECK(phone->priority(1)->app == "Dial");
  CHECK(phone->priority(2)->app == "Hangup");
  REQUIRE(plan.match("internal", "555"));
  CHECK(plan.match("internal", "555")->priority(1)->args == "SIP/101&SIP/102,20");
  REQUIRE(plan.match("internal", "500"));
  CHECK(plan.match("internal", "500")->priority(2)->args == "hello-world");
  REQUIRE(plan.match("internal", "600"));
  CHECK(plan.match("internal", "600")->priority(3)->app == "Echo");
  REQUIRE(plan.match("internal", "700"));
  CHECK(plan.match("internal", "700")->priority(1)->args == "${OFFICE_HOURS}?ivr-main,s,1");
  CHECK(plan.match("internal", "700")->priority(2)->args == "ivr-closed,s,1");
  CHECK(plan.match("ivr-closed", "s"));
  for (auto exten : {"s", "1", "2", "0", "t", "i"}) CHECK(plan.match("ivr-main", exten));
  for (auto exten : {"s", "1", "2", "*", "t", "i"}) CHECK(plan.match("ivr-info", exten));
  CHECK(plan.match("ivr-account", "1234#")->name == "_XXXX#");
  CHECK(plan.match("ivr-account", "12#")->name == "_!");
  CHECK(!plan.match("internal", "799"));
}
