#include "zvon/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <cerrno>
#include <cstring>

#include "zvon/log.h"

namespace zvon {

std::string SourcePos::str() const {
  std::string s = file + ":" + std::to_string(line);
  if (column > 0) s += ":" + std::to_string(column);
  return s;
}

std::optional<std::string_view> ConfigSection::get(std::string_view key) const {
  if (auto* e = entry(key)) return std::string_view(e->value);
  return std::nullopt;
}

const ConfigEntry* ConfigSection::entry(std::string_view key) const {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->key == key) return &*it;
  return nullptr;
}

std::string ConfigSection::get_or(std::string_view key, std::string_view fallback) const {
  auto v = get(key);
  return std::string(v ? *v : fallback);
}

std::vector<std::string_view> ConfigSection::all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (auto& e : entries)
    if (e.key == key) out.emplace_back(e.value);
  return out;
}

Result<int> ConfigSection::get_int(std::string_view key, int fallback, int min, int max) const {
  auto* e = entry(key);
  if (!e) return fallback;
  int v = 0;
  auto [p, ec] = std::from_chars(e->value.data(), e->value.data() + e->value.size(), v);
  if (ec != std::errc() || p != e->value.data() + e->value.size() || v < min || v > max)
    return make_error(cat(e->value_pos.str(), ": ", key, " must be a whole number from ", min,
                          " to ", max, ", not '", e->value, "'"));
  return v;
}

Result<bool> ConfigSection::get_bool(std::string_view key, bool fallback) const {
  auto* e = entry(key);
  if (!e) return fallback;
  std::string v;
  for (char c : e->value) v += char(std::tolower(static_cast<unsigned char>(c)));
  if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return false;
  return make_error(cat(e->value_pos.str(), ": ", key, " must be yes or no, not '", e->value, "'"));
}

const ConfigSection* Config::section(std::string_view name) const {
  for (auto& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Trims spaces; returns how many were cut from the front.
size_t trim(std::string_view& s) {
  size_t front = 0;
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
    ++front;
  }
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return front;
}

class Parser {
 public:
  Parser(Config& out, std::vector<ConfigSection>& sections) : sections_(sections) {}

  Result<void> parse(std::string_view text, const std::string& file, int depth) {
    if (depth > 10) return make_error(cat(file, ": #include nested more than 10 deep"));
    int line_no = 0;
    size_t pos = 0;
    bool in_block_comment = false;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view raw = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      // Most lines have no comment: they are used as they are, without a copy.
      std::string line;
      std::string_view view = raw;
      if (in_block_comment || raw.find(';') != std::string_view::npos) {
        line = strip_comments(raw, in_block_comment);
        view = line;
      }
      size_t indent = trim(view);
      if (view.empty()) {
        if (nl == text.size()) break;
        continue;
      }
      SourcePos at{file, line_no, int(indent) + 1};
      if (view.front() == '#') {
        auto r = directive(view, at, depth);
        if (!r) return r;
      } else if (view.front() == '[') {
        auto r = section(view, at);
        if (!r) return r;
      } else {
        auto r = entry(view, at, int(indent));
        if (!r) return r;
      }
      if (nl == text.size()) break;
    }
    if (in_block_comment && depth == 0)
      return make_error(cat(file, ":", line_no, ": a ;-- block comment is not closed with --;"));
    return {};
  }

 private:
  // Removes ; comments (a \; stays as ;) and ;-- ... --; block comments.
  static std::string strip_comments(std::string_view raw, bool& in_block) {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (in_block) {
        if (raw.compare(i, 3, "--;") == 0) {
          in_block = false;
          i += 2;
        }
        continue;
      }
      char c = raw[i];
      if (c == '\\' && i + 1 < raw.size() && raw[i + 1] == ';') {
        out += ';';
        ++i;
        continue;
      }
      if (c == ';') {
        if (raw.compare(i, 3, ";--") == 0) {
          in_block = true;
          i += 2;
          continue;
        }
        break;
      }
      out += c;
    }
    return out;
  }

  Result<void> directive(std::string_view view, const SourcePos& at, int depth) {
    if (view.substr(0, 8) != "#include")
      return make_error(cat(at.str(), ": unknown directive '", view, "' (only #include is known)"));
    std::string_view arg = view.substr(8);
    trim(arg);
    if (arg.size() >= 2 && (arg.front() == '"' || arg.front() == '<')) arg = arg.substr(1, arg.size() - 2);
    if (arg.empty()) return make_error(cat(at.str(), ": #include needs a file name"));
    std::filesystem::path p(arg);
    if (p.is_relative()) p = std::filesystem::path(at.file).parent_path() / p;
    std::ifstream in(p);
    if (!in) return make_error(cat(at.str(), ": cannot read included file ", p.string()));
    std::stringstream buf;
    buf << in.rdbuf();
    return parse(buf.str(), p.string(), depth + 1);
  }

  Result<void> section(std::string_view view, const SourcePos& at) {
    size_t close = view.find(']');
    if (close == std::string_view::npos)
      return make_error(cat(at.str(), ": section header without a closing ']'"));
    std::string_view name = view.substr(1, close - 1);
    trim(name);
    if (name.empty()) return make_error(cat(at.str(), ": empty section name"));
    ConfigSection s;
    s.name = std::string(name);
    s.pos = at;
    std::string_view rest = view.substr(close + 1);
    trim(rest);
    if (!rest.empty()) {
      if (rest.front() != '(' || rest.back() != ')')
        return make_error(cat(at.str(), ": unexpected '", rest, "' after [", name,
                              "]; templates are written [name](template)"));
      std::string_view list = rest.substr(1, rest.size() - 2);
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        trim(item);
        if (item == "!") {
          s.is_template = true;
        } else if (!item.empty()) {
          const ConfigSection* base = find(item);
          if (!base)
            return make_error(cat(at.str(), ": template '", item, "' is not defined above [",
                                  name, "]"));
          s.templates.emplace_back(item);
          s.entries.insert(s.entries.end(), base->entries.begin(), base->entries.end());
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
    sections_.push_back(std::move(s));
    return {};
  }

  Result<void> entry(std::string_view view, const SourcePos& at, int indent) {
    size_t eq = view.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return make_error(cat(at.str(), ": expected 'key = value' or '[section]', found '", view, "'"));
    if (sections_.empty())
      return make_error(cat(at.str(), ": '", view, "' comes before any [section]"));
    ConfigEntry e;
    std::string_view key = view.substr(0, eq);
    trim(key);
    size_t value_start = eq + 1;
    if (value_start < view.size() && view[value_start] == '>') {
      e.arrow = true;
      ++value_start;
    }
    std::string_view value = view.substr(value_start);
    size_t cut = trim(value);
    e.key = std::string(key);
    e.value = std::string(value);
    e.pos = at;
    e.value_pos = at;
    e.value_pos.column = indent + int(value_start + cut) + 1;
    sections_.back().entries.push_back(std::move(e));
    return {};
  }

  const ConfigSection* find(std::string_view name) const {
    for (auto& s : sections_)
      if (s.name == name) return &s;
    return nullptr;
  }

  std::vector<ConfigSection>& sections_;
};

}  // namespace

Result<Config> Config::parse_string(std::string_view text, std::string_view file_name) {
  Config c;
  c.file_ = std::string(file_name);
  Parser p(c, c.sections_);
  auto r = p.parse(text, c.file_, 0);
  if (!r) return r.error();
  return c;
}

Result<Config> Config::parse_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(cat("cannot read ", path.string(), ": ", std::strerror(errno)));
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_string(buf.str(), path.string());
}

}  // namespace zvon
