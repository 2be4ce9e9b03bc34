#include "dialplan/expression.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "dialplan/posix_regex.h"
#include "zvon/log.h"

namespace zvon {

namespace {

// A number as the expression reads it: optional sign, digits, optional fraction. No hex,
// exponents or "inf": a value like "1e5" or "0x10" is a string.
std::optional<double> as_number(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0, frac = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac;
  }
  if (i != s.size() || digits + frac == 0) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

std::string format_number(double v) {
  if (v == 0) return "0";  // also -0
  if (std::nearbyint(v) == v && std::fabs(v) < 1e18) return std::to_string(static_cast<long long>(v));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

struct Token {
  enum Kind { Value, Op, End } kind = End;
  std::string text;
  size_t column = 0;  // 1-based, in the expression text
  bool quoted = false;
};

bool is_op_char(char c) {
  return std::string_view("()+-*/%=!<>&|?:~").find(c) != std::string_view::npos;
}

Result<std::vector<Token>> tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    Token t;
    t.column = i + 1;
    if (c == '"') {
      // A quoted string: may hold spaces and operator characters; \" and \\ escape.
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          t.text += text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] == '"') {
          closed = true;
          ++i;
          break;
        }
        t.text += text[i++];
      }
      if (!closed) return make_error(cat("column ", t.column, ": the string has no closing '\"'"));
      t.kind = Token::Value;
      t.quoted = true;
    } else if (is_op_char(c)) {
      static constexpr std::string_view two[] = {"::", "==", "!=", "<=", ">=", "=~", "&&", "||"};
      t.kind = Token::Op;
      t.text = std::string(1, c);
      for (auto op : two)
        if (text.substr(i, 2) == op) t.text = std::string(op);
      if (t.text == "~") return make_error(cat("column ", t.column, ": '~' alone is no operator (did you mean '=~'?)"));
      i += t.text.size();
    } else {
      while (i < text.size() && !is_op_char(text[i]) && text[i] != ' ' && text[i] != '\t' &&
             text[i] != '"' && text[i] != '\r' && text[i] != '\n') {
        if (text[i] == '[') {
          // A regular expression's [set] is one piece, operator characters and all: [0-9].
          size_t close = text.find(']', i + 1);
          if (close != std::string_view::npos) {
            t.text.append(text.substr(i, close + 1 - i));
            i = close + 1;
            continue;
          }
        }
        t.text += text[i++];
      }
      t.kind = Token::Value;
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.column = text.size() + 1;
  out.push_back(end);
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<std::string> run() {
    auto v = ternary();
    if (!v) return v;
    if (peek().kind != Token::End) {
      const Token& t = peek();
      const Token& before = tokens_[pos_ - (pos_ > 0 ? 1 : 0)];
      bool after_regex = pos_ >= 2 && tokens_[pos_ - 2].kind == Token::Op &&
                         (tokens_[pos_ - 2].text == "=~" || tokens_[pos_ - 2].text == ":");
      std::string hint = t.kind == Token::Value
                             ? " (an operator is missing before it; quote strings with spaces: \"a b\")"
                         : t.text == "(" && after_regex && before.kind == Token::Value
                             ? " (quote a regular expression that holds ( ): \"^a(b)\")"
                             : "";
      return fail(t, cat("unexpected '", t.text, "'", hint));
    }
    return v;
  }

 private:
  using R = Result<std::string>;

  const Token& peek() const { return tokens_[pos_]; }
  bool at_op(std::string_view op) const { return peek().kind == Token::Op && peek().text == op; }
  Error fail(const Token& t, std::string what) const {
    return make_error(cat("column ", t.column, ": ", what));
  }
  Error fail_end(const Token& t, std::string what) const {
    if (t.kind == Token::End) return make_error(cat("column ", t.column, ": ", what, " at the end"));
    return fail(t, what);
  }

  R ternary() {
    auto cond = logical_or();
    if (!cond) return cond;
    if (!at_op("?")) return cond;
    ++pos_;
    auto yes = ternary();
    if (!yes) return yes;
    if (!at_op("::"))
      return fail_end(peek(), "'?' needs '::' after its first choice: cond ? a :: b");
    ++pos_;
    auto no = ternary();
    if (!no) return no;
    return expression_true(*cond) ? *yes : *no;
  }

  R logical_or() {
    auto left = logical_and();
    if (!left) return left;
    while (at_op("|") || at_op("||")) {
      ++pos_;
      auto right = logical_and();
      if (!right) return right;
      // Asterisk: the left value when it is true, else the right one.
      if (!expression_true(*left)) left = std::move(*right);
    }
    return left;
  }

  R logical_and() {
    auto left = comparison();
    if (!left) return left;
    while (at_op("&") || at_op("&&")) {
      ++pos_;
      auto right = comparison();
      if (!right) return right;
      if (!expression_true(*left) || !expression_true(*right)) left = std::string("0");
    }
    return left;
  }

  R comparison() {
    auto left = additive();
    if (!left) return left;
    for (;;) {
      const Token& op = peek();
      if (op.kind != Token::Op) return left;
      std::string_view o = op.text;
      if (o != "=" && o != "==" && o != "!=" && o != "<" && o != ">" && o != "<=" && o != ">=")
        return left;
      ++pos_;
      auto right = additive();
      if (!right) return right;
      int c;  // <0, 0, >0
      auto a = as_number(*left), b = as_number(*right);
      if (a && b)
        c = *a < *b ? -1 : (*a > *b ? 1 : 0);
      else
        c = left->compare(*right);
      bool r = (o == "=" || o == "==") ? c == 0
               : o == "!="             ? c != 0
               : o == "<"              ? c < 0
               : o == ">"              ? c > 0
               : o == "<="             ? c <= 0
                                       : c >= 0;
      left = std::string(r ? "1" : "0");
    }
  }

  Result<double> number(const Token& op, std::string_view side, const std::string& v) {
    if (auto n = as_number(v)) return *n;
    return fail(op, cat("'", op.text, "' needs a number on its ", side, ", found '", v, "'",
                        v.empty() ? " (an empty value: is a variable unset?)" : ""));
  }

  R additive() {
    auto left = multiplicative();
    if (!left) return left;
    while (at_op("+") || at_op("-")) {
      const Token& op = tokens_[pos_++];
      auto right = multiplicative();
      if (!right) return right;
      auto a = number(op, "left", *left);
      if (!a) return a.error();
      auto b = number(op, "right", *right);
      if (!b) return b.error();
      left = format_number(op.text == "+" ? *a + *b : *a - *b);
    }
    return left;
  }

  R multiplicative() {
    auto left = regex_match();
    if (!left) return left;
    while (at_op("*") || at_op("/") || at_op("%")) {
      const Token& op = tokens_[pos_++];
      auto right = regex_match();
      if (!right) return right;
      auto a = number(op, "left", *left);
      if (!a) return a.error();
      auto b = number(op, "right", *right);
      if (!b) return b.error();
      if (op.text != "*" && *b == 0) return fail(op, cat("division by zero in '", *left, " ", op.text, " ", *right, "'"));
      if (op.text == "*")
        left = format_number(*a * *b);
      else if (op.text == "/")
        // Integers divide as integers (Asterisk: $[7/2] is 3); fractions stay fractions.
        left = (std::nearbyint(*a) == *a && std::nearbyint(*b) == *b)
                   ? format_number(std::trunc(*a / *b))
                   : format_number(*a / *b);
      else
        left = format_number(std::fmod(*a, *b));
    }
    return left;
  }

  R regex_match() {
    auto left = unary();
    if (!left) return left;
    while (at_op("=~") || at_op(":")) {
      const Token& op = tokens_[pos_++];
      auto right = unary();
      if (!right) return right;
      // ':' is anchored at the start of the string, as in expr(1); '=~' matches anywhere.
      bool anchored = op.text == ":";
      auto re = PosixRegex::compile(anchored ? "^(" + *right + ")" : *right);
      if (!re) return fail(op, re.message());
      size_t group = anchored ? 2 : 1;  // the anchoring ( ) is group 1
      size_t user_groups = re->groups() - (anchored ? 1 : 0);
      auto m = re->search(*left, group);
      // With a ( ) group: the text it caught ("" when no match). Without: how many characters
      // matched, 0 when none (and 1 for an empty match, so that a match is always true).
      if (user_groups > 0)
        left = m && m->group ? *m->group : std::string();
      else
        left = std::to_string(m ? std::max<size_t>(m->end - m->begin, 1) : 0);
    }
    return left;
  }

  R unary() {
    if (at_op("-") || at_op("!")) {
      const Token& op = tokens_[pos_++];
      auto v = unary();
      if (!v) return v;
      if (op.text == "!") return std::string(expression_true(*v) ? "0" : "1");
      auto n = number(op, "right", *v);
      if (!n) return n.error();
      return format_number(-*n);
    }
    return primary();
  }

  R primary() {
    const Token& t = peek();
    if (t.kind == Token::Value) {
      ++pos_;
      return t.text;
    }
    if (t.kind == Token::Op && t.text == "(") {
      ++pos_;
      auto v = ternary();
      if (!v) return v;
      if (!at_op(")")) return fail_end(peek(), cat("missing ')' to close the '(' at column ", t.column));
      ++pos_;
      return v;
    }
    if (t.kind == Token::End)
      return fail(t, tokens_.size() == 1 ? "the expression is empty"
                                         : "a value is missing at the end (is a variable empty? "
                                           "quote it: \"${VAR}\")");
    return fail(t, cat("a value is missing before '", t.text, "' (is a variable empty? quote it: \"${VAR}\")"));
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

bool expression_true(std::string_view value) {
  if (value.empty()) return false;
  if (auto n = as_number(value)) return *n != 0;
  return true;
}

Result<std::string> evaluate_expression(std::string_view text) {
  auto tokens = tokenize(text);
  if (!tokens) return tokens.error();
  return Parser(std::move(*tokens)).run();
}

}  // namespace zvon
