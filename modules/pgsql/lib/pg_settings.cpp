#include "pg_settings.h"

#include <fstream>
#include <regex>

#include "zvon/log.h"

namespace zvon::pg {

Result<Settings> load_settings(Core& core) {
  Settings s;
  auto conf = core.load_config("pgsql.conf");
  const ConfigSection* general = nullptr;
  const ConfigSection* cdr = nullptr;
  if (conf) {
    general = conf->section("general");
    cdr = conf->section("cdr");
  } else if (std::filesystem::exists(core.paths().config_dir / "pgsql.conf")) {
    return conf.error();
  }
  if (general) {
    s.conninfo = std::string(general->get_or("conninfo", ""));
    auto size = general->get_int("pool_size", 2, 1, 16);
    if (!size) return size.error();
    s.pool_size = size_t(*size);
    auto rmax = general->get_int("reconnect_max_ms", 5000, 100, 600000);
    if (!rmax) return rmax.error();
    s.reconnect_max = std::chrono::milliseconds(*rmax);
  }
  if (cdr) {
    auto en = cdr->get_bool("enabled", true);
    if (!en) return en.error();
    s.cdr_enabled = *en;
    s.tenant = std::string(cdr->get_or("tenant", "default"));
    auto batch = cdr->get_int("batch", 200, 1, 5000);
    if (!batch) return batch.error();
    s.cdr_batch = size_t(*batch);
    auto queue_max = cdr->get_int("queue_max", 2000, 1, 1000000);
    if (!queue_max) return queue_max.error();
    s.cdr_queue_max = size_t(*queue_max);
  }
  if (!s.conninfo.empty()) {
    s.source = (core.paths().config_dir / "pgsql.conf").string();
    return s;
  }
  auto file = core.paths().data_dir / "pg" / "conninfo";
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty())
    return make_error(cat("pgsql.conf names no server (conninfo) and the private cluster is not set up at ",
                          (core.paths().data_dir / "pg").string(),
                          ": start it with scripts/private-postgres.sh start ",
                          core.paths().data_dir.string(), ", or set conninfo in pgsql.conf"));
  s.conninfo = line;
  s.source = file.string();
  return s;
}

std::string masked_conninfo(const std::string& conninfo) {
  static const std::regex key_value(R"((password\s*=\s*)('[^']*'|\S+))");
  static const std::regex uri(R"((postgres(ql)?://[^:/@]*:)[^@]*@)");
  std::string out = std::regex_replace(conninfo, key_value, "$1***");
  return std::regex_replace(out, uri, "$1***@");
}

}  // namespace zvon::pg
