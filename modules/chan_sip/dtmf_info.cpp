#include "dtmf_info.h"

#include <cctype>
#include <string>

#include "zvon/text.h"

namespace zvon::sip {
namespace {

constexpr size_t kMaxBody = 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string show(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 20)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return out;
}

// "5", "#", "d", "10" (event code of '*'), "11" ('#').
Result<char> key_of(std::string_view v) {
  v = trim(v);
  if (v.size() == 1) {
    char c = char(std::toupper(static_cast<unsigned char>(v[0])));
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '*' || c == '#' || (c >= 'A' && c <= 'D'))
      return c;
  }
  if (v == "10") return '*';
  if (v == "11") return '#';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '2' && v[1] <= '5') return char('A' + (v[1] - '2'));
  return make_error("'" + show(v) + "' is not a DTMF key (0-9, *, #, A-D)");
}

}  // namespace

bool is_dtmf_info_type(std::string_view content_type) {
  content_type = trim(content_type.substr(0, content_type.find(';')));
  return iequals(content_type, "application/dtmf-relay") || iequals(content_type, "application/dtmf");
}

Result<char> parse_dtmf_info(std::string_view content_type, std::string_view body) {
  if (!is_dtmf_info_type(content_type))
    return make_error("INFO content type '" + show(content_type) +
                      "' is not application/dtmf-relay or application/dtmf");
  if (body.size() > kMaxBody) return make_error("DTMF INFO body longer than 1 KiB");
  for (char c : body)
    if (c == '\0') return make_error("DTMF INFO body holds a NUL byte");
  content_type = trim(content_type.substr(0, content_type.find(';')));
  if (iequals(content_type, "application/dtmf")) {
    // The whole body is the key, perhaps followed by a line end.
    std::string_view v = body;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    if (v.empty()) return make_error("DTMF INFO body is empty");
    return key_of(v);
  }
  // application/dtmf-relay: lines "Name=value"; Signal is the key, Duration is informative.
  std::string_view rest = body;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    size_t eq = line.find('=');
    if (line.empty() || eq == std::string_view::npos) continue;
    if (iequals(trim(line.substr(0, eq)), "Signal")) return key_of(line.substr(eq + 1));
  }
  return make_error("DTMF INFO body has no Signal= line");
}

}  // namespace zvon::sip
