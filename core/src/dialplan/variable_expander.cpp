#include "dialplan/variable_expander.h"

#include <charconv>

#include "dialplan/expression.h"
#include "zvon/log.h"

namespace zvon {

std::string substring(std::string_view value, int offset, std::optional<int> length) {
  long size = long(value.size());
  long start = offset < 0 ? size + offset : offset;
  if (start < 0) start = 0;
  if (start >= size) return {};
  long count = size - start;
  if (length) {
    if (*length < 0)
      count = count + *length;
    else if (*length < count)
      count = *length;
  }
  if (count <= 0) return {};
  return std::string(value.substr(size_t(start), size_t(count)));
}

namespace {

constexpr int kMaxDepth = 32;

bool parse_int(std::string_view s, int& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// Applies ":offset[:length]" (`spec` without the first ':') to `value`.
Result<std::string> apply_substring(std::string_view whole, std::string_view value,
                                    std::string_view spec) {
  size_t colon = spec.find(':');
  int offset = 0;
  std::optional<int> length;
  std::string_view off_text = spec.substr(0, colon);
  if (!off_text.empty() && !parse_int(off_text, offset))
    return make_error(cat("'${", whole, "}': offset '", off_text, "' is not a number"));
  if (colon != std::string_view::npos) {
    int n = 0;
    std::string_view len_text = spec.substr(colon + 1);
    if (!len_text.empty()) {
      if (!parse_int(len_text, n))
        return make_error(cat("'${", whole, "}': length '", len_text, "' is not a number"));
      length = n;
    }
  }
  return substring(value, offset, length);
}

// Looks up the already-expanded inside of one ${...}.
Result<std::string> evaluate(std::string_view body, VariableSource& source) {
  size_t open = body.find('(');
  size_t colon = body.find(':');
  if (open != std::string_view::npos && (colon == std::string_view::npos || open < colon)) {
    // A function call: find its closing parenthesis, then an optional :offset:length.
    int depth = 0;
    size_t close = std::string_view::npos;
    for (size_t i = open; i < body.size(); ++i) {
      if (body[i] == '(') ++depth;
      if (body[i] == ')' && --depth == 0) {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos)
      return make_error(cat("'${", body, "}': the function call is missing its ')'"));
    std::string_view name = body.substr(0, open);
    auto value = source.function(name, body.substr(open + 1, close - open - 1));
    if (!value) return value;
    std::string_view rest = body.substr(close + 1);
    if (rest.empty()) return value;
    if (rest.front() != ':')
      return make_error(cat("'${", body, "}': unexpected '", rest, "' after the function call"));
    return apply_substring(body, *value, rest.substr(1));
  }
  std::string_view name = body.substr(0, colon);
  std::string value = source.variable(name).value_or(std::string());
  if (colon == std::string_view::npos) return value;
  return apply_substring(body, value, body.substr(colon + 1));
}

Result<std::string> expand(std::string_view text, VariableSource& source, int depth) {
  if (depth > kMaxDepth) return make_error("${...} nested too deeply");
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t start = text.find('$', i);
    while (start != std::string_view::npos && start + 1 < text.size() && text[start + 1] != '{' &&
           text[start + 1] != '[')
      start = text.find('$', start + 1);
    if (start == std::string_view::npos || start + 1 >= text.size()) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, start - i));
    const char open = text[start + 1];
    const char close = open == '{' ? '}' : ']';
    int depth = 1;
    size_t j = start + 2;
    for (; j < text.size(); ++j) {
      if (text[j] == open) ++depth;
      if (text[j] == close && --depth == 0) break;
    }
    if (j >= text.size())
      return make_error(cat("'", text.substr(start), "' is missing its closing '", std::string(1, close), "'"));
    auto inner = expand(text.substr(start + 2, j - start - 2), source, depth + 1);
    if (!inner) return inner;
    if (open == '[') {
      // $[...]: the inside is substituted first, then evaluated (as Asterisk does).
      auto value = evaluate_expression(*inner);
      if (!value) return make_error(cat("$[", *inner, "]: ", value.message()));
      out += *value;
    } else {
      auto value = evaluate(*inner, source);
      if (!value) return value;
      out += *value;
    }
    i = j + 1;
  }
  return out;
}

}  // namespace

Result<std::string> expand_variables(std::string_view text, VariableSource& source) {
  return expand(text, source, 0);
}

}  // namespace zvon
