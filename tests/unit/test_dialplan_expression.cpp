// $[...] expressions: the evaluator alone, then inside ${...} expansion.
#include <catch2/catch.hpp>

#include "dialplan/expression.h"
#include "dialplan/variable_expander.h"

using namespace zvon;

namespace {

std::string eval(std::string_view text) {
  auto r = evaluate_expression(text);
  if (!r) return "ERROR " + r.message();
  return *r;
}

}  // namespace

TEST_CASE("expression: arithmetic", "[dialplan][expression]") {
  CHECK(eval("1+2") == "3");
  CHECK(eval("1 + 2 * 3") == "7");
  CHECK(eval("(1 + 2) * 3") == "9");
  CHECK(eval("10 - 4 - 3") == "3");
  CHECK(eval("7 / 2") == "3");
  CHECK(eval("-7 / 2") == "-3");
  CHECK(eval("7 % 3") == "1");
  CHECK(eval("2.5 * 2") == "5");
  CHECK(eval("1.5 + 1.25") == "2.75");
  CHECK(eval("7.0 / 2") == "3");  // 7.0 and 2 are whole numbers
  CHECK(eval("7.5 / 2") == "3.75");
  CHECK(eval("-5 + 2") == "-3");
  CHECK(eval("- (2 + 3)") == "-5");
  CHECK(eval("012 + 1") == "13");
  CHECK(eval("((((1))))") == "1");
}

TEST_CASE("expression: comparisons, numbers and strings", "[dialplan][expression]") {
  CHECK(eval("3 > 2") == "1");
  CHECK(eval("3 < 2") == "0");
  CHECK(eval("2 <= 2") == "1");
  CHECK(eval("2 >= 3") == "0");
  CHECK(eval("10 > 9") == "1");       // numbers compare as numbers
  CHECK(eval("abc < abd") == "1");    // strings as strings
  CHECK(eval("10 = 10.0") == "1");
  CHECK(eval("101 == 101") == "1");
  CHECK(eval("101 != 102") == "1");
  CHECK(eval("alice = alice") == "1");
  CHECK(eval("alice = bob") == "0");
  CHECK(eval("\"John Smith\" = \"John Smith\"") == "1");
  CHECK(eval("\"\" = \"\"") == "1");
  CHECK(eval("\"a\\\"b\" = 'x'") == "0");
  CHECK(eval("1 + 1 = 2") == "1");    // arithmetic binds tighter than comparison
}

TEST_CASE("expression: logic and the ternary operator", "[dialplan][expression]") {
  CHECK(eval("1 & 1") == "1");
  CHECK(eval("1 & 0") == "0");
  CHECK(eval("5 & 7") == "5");        // Asterisk: the left value when both are true
  CHECK(eval("0 | 7") == "7");
  CHECK(eval("3 | 7") == "3");
  CHECK(eval("\"\" | x") == "x");
  CHECK(eval("1 && 0 || 1") == "1");
  CHECK(eval("!0") == "1");
  CHECK(eval("!1") == "0");
  CHECK(eval("!\"\"") == "1");
  CHECK(eval("!abc") == "0");
  CHECK(eval("1 = 1 & 2 = 3") == "0");
  CHECK(eval("1 = 1 | 2 = 3") == "1");
  CHECK(eval("1 ? yes :: no") == "yes");
  CHECK(eval("0 ? yes :: no") == "no");
  CHECK(eval("2 > 1 ? 10 + 1 :: 20") == "11");
  CHECK(expression_true("1"));
  CHECK(expression_true("abc"));
  CHECK(!expression_true(""));
  CHECK(!expression_true("0"));
  CHECK(!expression_true("0.0"));
}

TEST_CASE("expression: regular expressions", "[dialplan][expression]") {
  CHECK(eval("84951234567 =~ ^8495") == "4");    // characters matched
  CHECK(eval("74951234567 =~ ^8495") == "0");
  CHECK(eval("74951234567 =~ 495") == "3");      // =~ matches anywhere
  CHECK(eval("74951234567 =~ \"^7(495)\"") == "495"); // a group: what it caught
  CHECK(eval("74951234567 =~ \"^8(495)\"") == "");
  CHECK(eval("74951234567 =~ ^7(495)") == "ERROR column 18: unexpected '(' (quote a regular expression that holds ( ): \"^a(b)\")");
  CHECK(eval("abc : b") == "0");                 // ':' is anchored at the start
  CHECK(eval("abc : ab") == "2");
  CHECK(eval("abc : \"a(b)c\"") == "b");
  CHECK(eval("101 =~ \"^1[0-9]{2}$\"") == "3");
  CHECK(eval("(101 =~ ^1) & 1") == "1");
  CHECK(eval("\"555-1234\" =~ [0-9][-]") == "2");  // a [set] keeps its '-'
  CHECK(eval("a-b") == "ERROR column 2: '-' needs a number on its left, found 'a'");
}

TEST_CASE("expression: clear errors with the column", "[dialplan][expression]") {
  CHECK(eval("") == "ERROR column 1: the expression is empty");
  CHECK(eval("1 +") == "ERROR column 4: a value is missing at the end (is a variable empty? quote it: \"${VAR}\")");
  CHECK(eval(" = 5") == "ERROR column 2: a value is missing before '=' (is a variable empty? quote it: \"${VAR}\")");
  CHECK(eval("abc + 1") == "ERROR column 5: '+' needs a number on its left, found 'abc'");
  CHECK(eval("1 * x") == "ERROR column 3: '*' needs a number on its right, found 'x'");
  CHECK(eval("1 / 0") == "ERROR column 3: division by zero in '1 / 0'");
  CHECK(eval("5 % 0") == "ERROR column 3: division by zero in '5 % 0'");
  CHECK(eval("(1 + 2") == "ERROR column 7: missing ')' to close the '(' at column 1 at the end");
  CHECK(eval("1 + 2)") == "ERROR column 6: unexpected ')'");
  CHECK(eval("John Smith = x") == "ERROR column 6: unexpected 'Smith' (an operator is missing before it; quote strings with spaces: \"a b\")");
  CHECK(eval("\"open") == "ERROR column 1: the string has no closing '\"'");
  CHECK(eval("1 ? 2") == "ERROR column 6: '?' needs '::' after its first choice: cond ? a :: b at the end");
  CHECK(eval("a =~ \"[\"").find("ERROR column 3: bad regular expression '['") == 0);
  CHECK(eval("1 ~ 2") == "ERROR column 3: '~' alone is no operator (did you mean '=~'?)");
}

namespace {

class Vars final : public VariableSource {
 public:
  std::optional<std::string> variable(std::string_view name) override {
    if (name == "A") return "5";
    if (name == "NAME") return "John Smith";
    if (name == "EMPTY") return "";
    return std::nullopt;
  }
  Result<std::string> function(std::string_view name, std::string_view args) override {
    if (name == "LEN") return std::to_string(args.size());
    return make_error("unknown function");
  }
};

std::string expand(std::string_view text) {
  Vars v;
  auto r = expand_variables(text, v);
  return r ? *r : "ERROR " + r.message();
}

}  // namespace

TEST_CASE("expression: inside ${...} expansion", "[dialplan][expression]") {
  CHECK(expand("$[${A} + 1]") == "6");
  CHECK(expand("x$[${A} * 2]y") == "x10y");
  CHECK(expand("$[$[${A} + 1] * 2]") == "12");
  CHECK(expand("$[\"${NAME}\" = \"John Smith\"]") == "1");
  CHECK(expand("$[\"${EMPTY}\" = \"\"]") == "1");
  CHECK(expand("$[${LEN(abcd)} > 3]") == "1");
  CHECK(expand("$[${A} =~ [0-9]]") == "1");
  CHECK(expand("cost: $5") == "cost: $5");  // a lone '$' is text
  CHECK(expand("$[${EMPTY} = 1]") == "ERROR $[ = 1]: column 2: a value is missing before '=' (is a variable empty? quote it: \"${VAR}\")");
  CHECK(expand("$[1 + 2") == "ERROR '$[1 + 2' is missing its closing ']'");
}
