// JSON string literals, for the records sent to PostgreSQL as jsonb and kept in journals.
#pragma once
#include <string>
#include <string_view>

namespace zvon::pg {

// `s` as a quoted JSON string (control characters escaped).
std::string json_string(std::string_view s);

}  // namespace zvon::pg
