// Asterisk's time conditions (GotoIfTime, `include => ctx,times,weekdays,mdays,months[,tz]`):
// "09:00-18:00,mon-fri,*,*,Europe/Moscow". Parsed once, immutable, any thread. Time zones are
// read from the system's zoneinfo files (TZif), never through the process-wide TZ.
#pragma once
#include <bitset>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/result.h"

namespace zvon {

struct LocalTime {
  int year = 1970, month = 1, mday = 1;  // month 1-12
  int wday = 4;                          // 0 Sunday .. 6 Saturday
  int hour = 0, minute = 0, second = 0;
};

// A zone's UTC offsets over time, from /usr/share/zoneinfo/NAME. "" and "UTC" are UTC.
class TimeZone {
 public:
  static Result<std::shared_ptr<const TimeZone>> load(std::string_view name);
  LocalTime local(std::time_t t) const;
  // The wall-clock `local` in this zone as a UTC instant (the first offset that fits).
  std::time_t to_utc(const LocalTime& local) const;
  const std::string& name() const { return name_; }

 private:
  int offset_at(std::time_t t) const;
  std::string name_;
  std::vector<std::pair<int64_t, int>> transitions_;  // from this instant, this offset (s)
  int initial_offset_ = 0;
};

// Breaks an instant down in UTC shifted by `offset_seconds`.
LocalTime break_down(std::time_t t, int offset_seconds);

class TimeSpec {
 public:
  // The four (or five, with a time zone) fields; "*" or "" matches everything. The error
  // names the field and what is wrong in it.
  static Result<TimeSpec> parse(std::string_view times, std::string_view weekdays,
                                std::string_view mdays, std::string_view months,
                                std::string_view zone = {});
  // "09:00-18:00,mon-fri,*,*[,zone]" (commas) or Asterisk's older '|' separators.
  static Result<TimeSpec> parse(std::string_view text);
  bool matches(std::time_t t) const;
  const std::string& text() const { return text_; }

 private:
  std::bitset<24 * 60> minutes_;
  std::bitset<7> weekdays_;
  std::bitset<32> mdays_;   // 1..31
  std::bitset<13> months_;  // 1..12
  std::shared_ptr<const TimeZone> zone_;
  std::string text_;
};

}  // namespace zvon
