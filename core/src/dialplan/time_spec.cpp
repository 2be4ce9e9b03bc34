#include "dialplan/time_spec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>
#include <mutex>

#include "zvon/log.h"

namespace zvon {

namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

uint32_t be32(const unsigned char* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
int64_t be64(const unsigned char* p) { return int64_t(uint64_t(be32(p)) << 32 | be32(p + 4)); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_int(std::string_view s, int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// "mon-fri&sun", "1-15", "jan-mar": a set of values lo..hi; ranges may wrap (fri-mon).
template <size_t N>
Result<std::bitset<N>> parse_set(std::string_view field, std::string_view what, int lo, int hi,
                                 const std::vector<std::string_view>& names) {
  std::bitset<N> out;
  if (field.empty() || field == "*") {
    for (int i = lo; i <= hi; ++i) out.set(size_t(i));
    return out;
  }
  auto value = [&](std::string_view s) -> Result<int> {
    std::string l = lower(s);
    for (size_t i = 0; i < names.size(); ++i)
      if (l == names[i]) return int(i) + lo;
    int n = 0;
    if (parse_int(s, n) && n >= lo && n <= hi) return n;
    std::string hint = names.empty() ? cat("a number from ", lo, " to ", hi)
                                     : cat("one of ", names.front(), "..", names.back());
    return make_error(cat(what, " '", s, "' is not ", hint));
  };
  size_t start = 0;
  while (start <= field.size()) {
    size_t amp = field.find('&', start);
    if (amp == std::string_view::npos) amp = field.size();
    std::string_view part = field.substr(start, amp - start);
    start = amp + 1;
    size_t dash = part.find('-');
    auto a = value(part.substr(0, dash));
    if (!a) return a.error();
    int b = *a;
    if (dash != std::string_view::npos) {
      auto e = value(part.substr(dash + 1));
      if (!e) return e.error();
      b = *e;
    }
    for (int i = *a;; i = i == hi ? lo : i + 1) {
      out.set(size_t(i));
      if (i == b) break;
    }
  }
  return out;
}

Result<int> parse_clock(std::string_view s) {
  size_t colon = s.find(':');
  int h = 0, m = 0;
  if (colon == std::string_view::npos || !parse_int(s.substr(0, colon), h) ||
      !parse_int(s.substr(colon + 1), m) || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m))
    return make_error(cat("time '", s, "' is not HH:MM (00:00 to 24:00)"));
  return h * 60 + m;
}

// Zones are read once per process: GotoIfTime parses its condition on the channel's loop, and
// reading /usr/share/zoneinfo there on every call would block the loop. The cache holds
// immutable data only; this mutex guards the list.
std::mutex zone_cache_mutex;

}  // namespace

LocalTime break_down(std::time_t t, int offset_seconds) {
  int64_t s = int64_t(t) + offset_seconds;
  int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  int64_t rem = s - days * 86400;
  LocalTime out;
  out.hour = int(rem / 3600);
  out.minute = int(rem % 3600 / 60);
  out.second = int(rem % 60);
  out.wday = int(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  out.mday = int(doy - (153 * mp + 2) / 5 + 1);
  out.month = int(mp < 10 ? mp + 3 : mp - 9);
  out.year = int(int64_t(yoe) + era * 400 + (out.month <= 2));
  return out;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::load(std::string_view name) {
  static std::vector<std::shared_ptr<const TimeZone>> cache;
  std::lock_guard lock(zone_cache_mutex);
  for (auto& z : cache)
    if (z->name_ == name) return z;
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::string(name);
  if (!name.empty() && name != "UTC" && name != "GMT") {
    if (name.find("..") != std::string_view::npos || name.front() == '/')
      return make_error(cat("time zone '", name, "' is not a zone name like Europe/Moscow"));
    std::ifstream in("/usr/share/zoneinfo/" + std::string(name), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto* p = reinterpret_cast<const unsigned char*>(data.data());
    if (data.size() < 44 || data.compare(0, 4, "TZif") != 0)
      return make_error(cat("unknown time zone '", name, "' (no /usr/share/zoneinfo/", name, ")"));
    // Header counts: isutcnt isstdcnt leapcnt timecnt typecnt charcnt.
    auto counts = [&](size_t at, int64_t& timecnt, int64_t& typecnt, size_t& body, int tsize) {
      uint32_t isut = be32(p + at + 20), isstd = be32(p + at + 24), leap = be32(p + at + 28);
      timecnt = be32(p + at + 32);
      typecnt = be32(p + at + 36);
      uint32_t chars = be32(p + at + 40);
      body = at + 44;
      return body + size_t(timecnt) * (tsize + 1) + size_t(typecnt) * 6 + chars +
             size_t(leap) * (tsize + 4) + isstd + isut;
    };
    int64_t timecnt = 0, typecnt = 0;
    size_t body = 0;
    size_t end = counts(0, timecnt, typecnt, body, 4);
    int tsize = 4;
    if (data[4] >= '2' && end + 44 <= data.size() && data.compare(end, 4, "TZif") == 0) {
      tsize = 8;  // the 64-bit section follows the 32-bit one
      end = counts(end, timecnt, typecnt, body, 8);
    }
    if (end > data.size() || typecnt == 0)
      return make_error(cat("time zone file for '", name, "' is damaged"));
    const unsigned char* times = p + body;
    const unsigned char* idx = times + timecnt * tsize;
    const unsigned char* types = idx + timecnt;
    auto offset_of = [&](unsigned i) { return int(int32_t(be32(types + 6 * std::min<int64_t>(i, typecnt - 1)))); };
    zone->initial_offset_ = offset_of(0);
    for (int64_t i = 0; i < timecnt; ++i) {
      int64_t at = tsize == 8 ? be64(times + 8 * i) : int64_t(int32_t(be32(times + 4 * i)));
      zone->transitions_.emplace_back(at, offset_of(idx[i]));
    }
  }
  cache.push_back(zone);
  return std::shared_ptr<const TimeZone>(zone);
}

int TimeZone::offset_at(std::time_t t) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), int64_t(t),
                             [](int64_t v, const std::pair<int64_t, int>& e) { return v < e.first; });
  if (it == transitions_.begin()) return initial_offset_;
  return std::prev(it)->second;
}

LocalTime TimeZone::local(std::time_t t) const { return break_down(t, offset_at(t)); }

std::time_t TimeZone::to_utc(const LocalTime& l) const {
  int64_t wall = days_from_civil(l.year, unsigned(l.month), unsigned(l.mday)) * 86400 +
                 l.hour * 3600 + l.minute * 60 + l.second;
  // Try the offset in force just before and after; take the one that round-trips.
  for (int64_t guess : {wall - offset_at(std::time_t(wall)), wall - offset_at(std::time_t(wall - 86400)),
                        wall - offset_at(std::time_t(wall + 86400))})
    if (guess + offset_at(std::time_t(guess)) == wall) return std::time_t(guess);
  return std::time_t(wall - offset_at(std::time_t(wall)));
}

Result<TimeSpec> TimeSpec::parse(std::string_view times, std::string_view weekdays,
                                 std::string_view mdays, std::string_view months,
                                 std::string_view zone) {
  TimeSpec spec;
  spec.text_ = cat(times.empty() ? "*" : times, ",", weekdays.empty() ? "*" : weekdays, ",",
                   mdays.empty() ? "*" : mdays, ",", months.empty() ? "*" : months);
  if (!zone.empty()) spec.text_ += cat(",", zone);
  if (times.empty() || times == "*") {
    spec.minutes_.set();
  } else {
    size_t dash = times.find('-');
    auto a = parse_clock(times.substr(0, dash));
    if (!a) return a.error();
    int b = *a + 1;
    if (dash != std::string_view::npos) {
      auto e = parse_clock(times.substr(dash + 1));
      if (!e) return e.error();
      b = *e;
    }
    // The end is not included: 09:00-18:00 is 09:00:00 to 17:59:59; 22:00-06:00 wraps.
    if (b == *a) b = *a + 24 * 60;
    for (int m = *a; m != b && m - *a < 24 * 60; ++m) {
      if (m == 24 * 60) {
        if (b == 24 * 60) break;
        m = 0;
        if (m == b) break;
      }
      spec.minutes_.set(size_t(m % (24 * 60)));
    }
  }
  auto wd = parse_set<7>(weekdays, "weekday", 0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"});
  if (!wd) return wd.error();
  spec.weekdays_ = *wd;
  auto md = parse_set<32>(mdays, "day of month", 1, 31, {});
  if (!md) return md.error();
  spec.mdays_ = *md;
  auto mo = parse_set<13>(months, "month", 1, 12,
                          {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"});
  if (!mo) return mo.error();
  spec.months_ = *mo;
  auto z = TimeZone::load(zone);
  if (!z) return z.error();
  spec.zone_ = *z;
  return spec;
}

Result<TimeSpec> TimeSpec::parse(std::string_view text) {
  std::vector<std::string_view> f;
  size_t start = 0;
  char sep = text.find('|') != std::string_view::npos ? '|' : ',';
  while (start <= text.size()) {
    size_t c = text.find(sep, start);
    if (c == std::string_view::npos) c = text.size();
    std::string_view part = text.substr(start, c - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    f.push_back(part);
    start = c + 1;
  }
  if (f.size() < 4 || f.size() > 5)
    return make_error(cat("time condition '", text,
                          "' needs 4 or 5 fields: times,weekdays,days of month,months[,time zone]"));
  return parse(f[0], f[1], f[2], f[3], f.size() == 5 ? f[4] : std::string_view());
}

bool TimeSpec::matches(std::time_t t) const {
  LocalTime l = zone_ ? zone_->local(t) : break_down(t, 0);
  return minutes_.test(size_t(l.hour * 60 + l.minute)) && weekdays_.test(size_t(l.wday)) &&
         mdays_.test(size_t(l.mday)) && months_.test(size_t(l.month));
}

}  // namespace zvon
