#include "dialplan/posix_regex.h"

#include "zvon/log.h"

namespace zvon {

Result<PosixRegex> PosixRegex::compile(std::string_view pattern, bool icase) {
  PosixRegex r;
  std::string text(pattern);
  int flags = REG_EXTENDED | (icase ? REG_ICASE : 0);
  if (int rc = regcomp(&r.regex_, text.c_str(), flags); rc != 0) {
    char buf[256];
    regerror(rc, &r.regex_, buf, sizeof buf);
    return make_error(cat("bad regular expression '", pattern, "': ", buf));
  }
  r.live_ = true;
  return Result<PosixRegex>(std::move(r));
}

std::optional<PosixRegex::Match> PosixRegex::search(const std::string& text, size_t group) const {
  regmatch_t m[10];
  if (group > 9) group = 9;
  if (regexec(&regex_, text.c_str(), group + 1, m, 0) != 0) return std::nullopt;
  Match out;
  out.begin = size_t(m[0].rm_so);
  out.end = size_t(m[0].rm_eo);
  if (regex_.re_nsub >= group && group > 0) {
    if (m[group].rm_so >= 0)
      out.group = text.substr(size_t(m[group].rm_so), size_t(m[group].rm_eo - m[group].rm_so));
    else
      out.group = std::string();
  }
  return out;
}

}  // namespace zvon
