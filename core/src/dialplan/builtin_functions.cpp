#include "dialplan/builtin_functions.h"

#include <charconv>
#include <cstring>
#include <random>

#include "dialplan/dialplan_engine_impl.h"
#include "dialplan/expression.h"
#include "dialplan/posix_regex.h"
#include "dialplan/time_spec.h"
#include "zvon/channel.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string unquote(std::string_view s) {
  std::string t = trim(s);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') return t.substr(1, t.size() - 2);
  return t;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_long(std::string_view s, long long& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// DB keys are family/key (split at the first '/'); both parts non-empty.
Result<std::pair<std::string, std::string>> db_key(std::string_view fn, std::string_view args) {
  std::string key = trim(args);
  size_t slash = key.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == key.size())
    return make_error(cat(fn, "(", args, "): write the key as family/key, like ", fn, "(cf/101)"));
  return std::make_pair(key.substr(0, slash), key.substr(slash + 1));
}

}  // namespace

std::vector<std::string> split_function_arguments(std::string_view args) {
  std::vector<std::string> out;
  if (args.empty()) return out;
  std::string cur;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < args.size(); ++i) {
    char c = args[i];
    if (c == '\\' && i + 1 < args.size()) {
      cur += args[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '(') ++depth;
    if (!quoted && c == ')' && depth > 0) --depth;
    if (!quoted && depth == 0 && c == ',') {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

Choice split_choice(std::string_view text) {
  Choice out;
  int depth = 0;
  bool quoted = false;
  size_t q = std::string_view::npos, colon = std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (depth) continue;
    if (c == '?' && q == std::string_view::npos) q = i;
    else if (c == ':' && q != std::string_view::npos && colon == std::string_view::npos) colon = i;
  }
  if (q == std::string_view::npos) {
    out.condition = trim(text);
    return out;
  }
  out.condition = trim(text.substr(0, q));
  if (colon == std::string_view::npos) {
    out.if_true = trim(text.substr(q + 1));
  } else {
    out.if_true = trim(text.substr(q + 1, colon - q - 1));
    out.if_false = trim(text.substr(colon + 1));
    out.has_false = true;
  }
  return out;
}

BuiltinFunctions::BuiltinFunctions(DialplanEngineImpl& engine) {
  auto add = [&](std::string name, SimpleFunction::Reader r, SimpleFunction::Writer w = {}) {
    functions_.push_back(std::make_unique<SimpleFunction>(std::move(name), std::move(r), std::move(w)));
  };
  DialplanEngineImpl* e = &engine;

  add("IF", [](Channel&, std::string_view args) -> Result<std::string> {
    Choice c = split_choice(args);
    if (c.if_true.empty() && !c.has_false && args.find('?') == std::string_view::npos)
      return make_error(cat("IF(", args, "): write IF(condition?value if true:value if false)"));
    return expression_true(c.condition) ? c.if_true : c.if_false;
  });
  add("LEN", [](Channel&, std::string_view args) -> Result<std::string> {
    return std::to_string(args.size());
  });
  add("EXISTS", [](Channel&, std::string_view args) -> Result<std::string> {
    return std::string(args.empty() ? "0" : "1");
  });
  add("ISNULL", [](Channel&, std::string_view args) -> Result<std::string> {
    return std::string(args.empty() ? "1" : "0");
  });
  add("CUT", [e](Channel& ch, std::string_view args) -> Result<std::string> {
    auto a = split_function_arguments(args);
    if (a.size() != 3 || trim(a[0]).empty())
      return make_error(cat("CUT(", args, "): write CUT(variable name,delimiter,field[-field])"));
    std::string value = e->variable(ch, trim(a[0])).value_or("");
    std::string delim = unquote(a[1]);
    if (delim.empty()) delim = "-";
    char d = delim[0];
    std::vector<std::string> fields;
    size_t start = 0;
    for (;;) {
      size_t at = value.find(d, start);
      fields.push_back(value.substr(start, at == std::string::npos ? std::string::npos : at - start));
      if (at == std::string::npos) break;
      start = at + 1;
    }
    std::string spec = trim(a[2]);
    std::string out;
    size_t s = 0;
    bool first = true;
    while (s <= spec.size()) {  // "1", "2-3", "2-", "1&3"
      size_t amp = spec.find('&', s);
      if (amp == std::string::npos) amp = spec.size();
      std::string part = spec.substr(s, amp - s);
      s = amp + 1;
      size_t dash = part.find('-');
      long long from = 0, to = 0;
      bool ok = parse_long(part.substr(0, dash), from);
      if (dash == std::string::npos) to = from;
      else if (dash + 1 == part.size()) to = (long long)fields.size();
      else ok = ok && parse_long(part.substr(dash + 1), to);
      if (!ok || from < 1 || to < from)
        return make_error(cat("CUT(", args, "): field '", part, "' is not N, N-M or N-"));
      for (long long i = from; i <= to && i <= (long long)fields.size(); ++i) {
        if (!first) out += d;
        out += fields[size_t(i - 1)];
        first = false;
      }
    }
    return out;
  });
  add("FILTER", [](Channel&, std::string_view args) -> Result<std::string> {
    size_t comma = args.find(',');
    if (comma == std::string_view::npos)
      return make_error(cat("FILTER(", args, "): write FILTER(allowed characters,text), like FILTER(0-9,${X})"));
    std::string_view allowed = args.substr(0, comma), text = args.substr(comma + 1);
    bool ok[256] = {};
    for (size_t i = 0; i < allowed.size(); ++i) {
      unsigned char a = static_cast<unsigned char>(allowed[i]);
      if (a == '\\' && i + 1 < allowed.size()) {
        ok[static_cast<unsigned char>(allowed[++i])] = true;
      } else if (i + 2 < allowed.size() && allowed[i + 1] == '-') {
        unsigned char b = static_cast<unsigned char>(allowed[i + 2]);
        for (unsigned c = a; c <= b; ++c) ok[c] = true;
        i += 2;
      } else {
        ok[a] = true;
      }
    }
    std::string out;
    for (char c : text)
      if (ok[static_cast<unsigned char>(c)]) out += c;
    return out;
  });
  add("REGEX", [](Channel&, std::string_view args) -> Result<std::string> {
    // REGEX("pattern" text): the pattern in double quotes, then a space.
    std::string_view a = args;
    while (!a.empty() && a.front() == ' ') a.remove_prefix(1);
    size_t end = a.size() > 1 && a.front() == '"' ? a.find('"', 1) : std::string_view::npos;
    if (end == std::string_view::npos)
      return make_error(cat("REGEX(", args, "): write REGEX(\"pattern\" text)"));
    auto re = PosixRegex::compile(a.substr(1, end - 1));
    if (!re) return make_error(cat("REGEX(): ", re.message()));
    std::string_view text = a.substr(end + 1);
    if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    return std::string(re->search(std::string(text)) ? "1" : "0");
  });
  add("STRFTIME", [e](Channel& ch, std::string_view args) -> Result<std::string> {
    auto a = split_function_arguments(args);
    a.resize(3);
    std::time_t t = e->now(ch);
    if (!trim(a[0]).empty()) {
      long long v = 0;
      std::string s = trim(a[0]);
      if (!parse_long(s.substr(0, s.find('.')), v))
        return make_error(cat("STRFTIME(", args, "): '", s, "' is not seconds since 1970"));
      t = std::time_t(v);
    }
    auto zone = TimeZone::load(trim(a[1]));
    if (!zone) return make_error(cat("STRFTIME(): ", zone.message()));
    LocalTime l = (*zone)->local(t);
    std::tm tm{};
    tm.tm_year = l.year - 1900;
    tm.tm_mon = l.month - 1;
    tm.tm_mday = l.mday;
    tm.tm_hour = l.hour;
    tm.tm_min = l.minute;
    tm.tm_sec = l.second;
    tm.tm_wday = l.wday;
    std::string format = a[2].empty() ? "%a %b %e %H:%M:%S %Y" : a[2];
    char buf[256];
    size_t n = std::strftime(buf, sizeof buf, format.c_str(), &tm);
    return std::string(buf, n);
  });
  add("RAND", [](Channel&, std::string_view args) -> Result<std::string> {
    auto a = split_function_arguments(args);
    a.resize(2);
    long long lo = 0, hi = 2147483647;
    if (!trim(a[0]).empty() && !parse_long(trim(a[0]), lo))
      return make_error(cat("RAND(", args, "): '", a[0], "' is not a whole number"));
    if (!trim(a[1]).empty() && !parse_long(trim(a[1]), hi))
      return make_error(cat("RAND(", args, "): '", a[1], "' is not a whole number"));
    if (hi < lo) std::swap(lo, hi);
    std::random_device rd;
    std::uniform_int_distribution<long long> dist(lo, hi);
    return std::to_string(dist(rd));
  });
  add("CHANNEL", [e](Channel& ch, std::string_view args) -> Result<std::string> {
    std::string item = lower(trim(args));
    if (item == "name") return ch.name();
    if (item == "uniqueid") return ch.unique_id();
    if (item == "state") return std::string(to_string(ch.state()));
    if (item == "channeltype" || item == "tech") return ch.technology();
    if (item == "direction") return std::string(ch.direction() == Direction::Inbound ? "inbound" : "outbound");
    if (item == "context") return ch.location().context;
    if (item == "exten") return ch.location().exten;
    if (item == "priority") return std::to_string(ch.location().priority);
    if (item == "dialed") return ch.dialed();
    if (item == "hangupcause") return std::to_string(int(ch.hangup_cause()));
    if (item == "language") return channel_language(ch);
    return make_error(cat("CHANNEL(", args, "): unknown item; ask for name, uniqueid, state, "
                          "channeltype, direction, context, exten, priority, dialed, hangupcause or language"));
  }, [](Channel& ch, std::string_view args, std::string_view value) -> Result<void> {
    if (lower(trim(args)) == "language") {
      if (!value.empty() && !valid_language_code(value))
        return make_error(cat("CHANNEL(language): '", value, "' is not a language code (en, ru, pt_BR...)"));
      ch.set_var("CHANNEL_LANGUAGE", value);
      return {};
    }
    return make_error(cat("CHANNEL(", args, ") cannot be set; only CHANNEL(language) can"));
  });
  add("HANGUPCAUSE", [](Channel& ch, std::string_view args) -> Result<std::string> {
    std::string what = lower(trim(args));
    if (what.empty() || what == "code") return std::to_string(int(ch.hangup_cause()));
    if (what == "text") return std::string(to_string(ch.hangup_cause()));
    return make_error(cat("HANGUPCAUSE(", args, "): ask for HANGUPCAUSE() (the number) or HANGUPCAUSE(text)"));
  });
  add("GLOBAL", [e](Channel&, std::string_view args) -> Result<std::string> {
    return e->global(trim(args)).value_or("");
  }, [e](Channel&, std::string_view args, std::string_view value) -> Result<void> {
    if (trim(args).empty()) return make_error("GLOBAL(): the variable name is missing");
    e->set_global(trim(args), value);
    return {};
  });
  add("LOCAL", [e](Channel& ch, std::string_view args) -> Result<std::string> {
    return e->variable(ch, trim(args)).value_or("");
  }, [e](Channel& ch, std::string_view args, std::string_view value) -> Result<void> {
    std::string name = trim(args);
    RunState* st = e->state(ch);
    if (!st || st->stack.empty())
      return make_error(cat("LOCAL(", name, ") outside a Gosub: there is no subroutine to be local to"));
    auto& saved = st->stack.back().saved;
    bool known = false;
    for (auto& [n, v] : saved) known = known || n == name;
    if (!known) {
      auto old = ch.var(name);
      saved.emplace_back(name, old ? std::optional<std::string>(std::string(*old)) : std::nullopt);
    }
    ch.set_var(name, value);
    return {};
  });
  add("DB", [e](Channel&, std::string_view args) -> Result<std::string> {
    auto key = db_key("DB", args);
    if (!key) return key.error();
    auto db = e->key_value_store();
    if (!db) return make_error("DB(): the store could not be opened (see the log)");
    auto v = db->get(key->first, key->second);
    if (!v) return make_error(cat("DB(", args, "): ", v.message()));
    return v->value_or("");
  }, [e](Channel&, std::string_view args, std::string_view value) -> Result<void> {
    auto key = db_key("DB", args);
    if (!key) return key.error();
    auto db = e->key_value_store();
    if (!db) return make_error("DB(): the store could not be opened (see the log)");
    auto r = db->put(key->first, key->second, value);
    if (!r) return make_error(cat("DB(", args, "): ", r.message()));
    return {};
  });
  add("DB_EXISTS", [e](Channel& ch, std::string_view args) -> Result<std::string> {
    auto key = db_key("DB_EXISTS", args);
    if (!key) return key.error();
    auto db = e->key_value_store();
    if (!db) return make_error("DB_EXISTS(): the store could not be opened (see the log)");
    auto v = db->get(key->first, key->second);
    if (!v) return make_error(cat("DB_EXISTS(", args, "): ", v.message()));
    ch.set_var("DB_RESULT", v->value_or(""));
    return std::string(*v ? "1" : "0");
  });
  add("DB_DELETE", [e](Channel&, std::string_view args) -> Result<std::string> {
    auto key = db_key("DB_DELETE", args);
    if (!key) return key.error();
    auto db = e->key_value_store();
    if (!db) return make_error("DB_DELETE(): the store could not be opened (see the log)");
    auto v = db->erase(key->first, key->second);
    if (!v) return make_error(cat("DB_DELETE(", args, "): ", v.message()));
    return v->value_or("");
  });
}

}  // namespace zvon
