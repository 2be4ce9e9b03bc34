// Asterisk-style INI configuration: [sections], key = value, key => value, ; comments,
// [name](template) inheritance. A parsed Config is immutable; reload builds a new one.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/result.h"

namespace zvon {

struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line" or "file:line:column"
};

struct ConfigEntry {
  std::string key;
  std::string value;
  bool arrow = false;  // written as "key => value"
  SourcePos pos;       // where the key starts
  SourcePos value_pos; // where the value starts
};

class ConfigSection {
 public:
  std::string name;
  SourcePos pos;
  std::vector<std::string> templates;  // from [name](a,b)
  bool is_template = false;            // [name](!)
  std::vector<ConfigEntry> entries;    // in file order, inherited entries first

  // The last value of `key`, if any.
  std::optional<std::string_view> get(std::string_view key) const;
  const ConfigEntry* entry(std::string_view key) const;
  std::string get_or(std::string_view key, std::string_view fallback) const;
  // Every value of a repeated key, in order.
  std::vector<std::string_view> all(std::string_view key) const;
  // Typed reads that report "file:line: key must be ..." on bad values.
  Result<int> get_int(std::string_view key, int fallback, int min, int max) const;
  Result<bool> get_bool(std::string_view key, bool fallback) const;
};

class Config {
 public:
  static Result<Config> parse_file(const std::filesystem::path& path);
  static Result<Config> parse_string(std::string_view text, std::string_view file_name);

  const std::vector<ConfigSection>& sections() const { return sections_; }
  const ConfigSection* section(std::string_view name) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<ConfigSection> sections_;
};

}  // namespace zvon
