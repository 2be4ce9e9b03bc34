#include <catch2/catch.hpp>

#include "zvon/config.h"

using zvon::Config;

TEST_CASE("config: sections, keys, arrows, comments", "[config]") {
  auto c = Config::parse_string(
      "; a comment\n"
      "[general]\n"
      "bind = 127.0.0.1 ; trailing comment\n"
      "  port=5060\n"
      "[internal]\n"
      "exten => 100,1,Dial(SIP/101\\;x)\n"
      ";-- a block\n comment --;\n"
      "same => n,Hangup()\n",
      "test.conf");
  REQUIRE(c.ok());
  REQUIRE(c->sections().size() == 2);
  auto* g = c->section("general");
  REQUIRE(g);
  CHECK(g->get_or("bind", "") == "127.0.0.1");
  CHECK(g->get_or("port", "") == "5060");
  CHECK(g->entry("port")->pos.line == 4);
  CHECK(g->entry("port")->pos.column == 3);
  CHECK(g->entry("port")->value_pos.column == 8);
  auto* i = c->section("internal");
  REQUIRE(i->entries.size() == 2);
  CHECK(i->entries[0].arrow);
  CHECK(i->entries[0].key == "exten");
  CHECK(i->entries[0].value == "100,1,Dial(SIP/101;x)");
  CHECK(i->entries[0].value_pos.str() == "test.conf:6:10");
  CHECK(i->entries[1].pos.line == 9);
}

TEST_CASE("config: templates copy entries and can be overridden", "[config]") {
  auto c = Config::parse_string(
      "[phone](!)\ncontext = internal\nsecret = x\n"
      "[101](phone)\nsecret = one\n",
      "t.conf");
  REQUIRE(c.ok());
  auto* t = c->section("phone");
  CHECK(t->is_template);
  auto* p = c->section("101");
  CHECK(p->get_or("context", "") == "internal");
  CHECK(p->get_or("secret", "") == "one");
  CHECK(p->all("secret").size() == 2);
}

TEST_CASE("config: errors name file and line", "[config]") {
  auto missing_eq = Config::parse_string("[a]\nkey value\n", "bad.conf");
  REQUIRE(!missing_eq.ok());
  CHECK(missing_eq.message().rfind("bad.conf:2:1: expected 'key = value'", 0) == 0);

  auto before_section = Config::parse_string("\nkey = 1\n", "bad.conf");
  REQUIRE(!before_section.ok());
  CHECK(before_section.message().find("bad.conf:2:1") == 0);
  CHECK(before_section.message().find("before any [section]") != std::string::npos);

  auto unclosed = Config::parse_string("[a\n", "bad.conf");
  REQUIRE(!unclosed.ok());
  CHECK(unclosed.message().find("bad.conf:1:1: section header without a closing ']'") == 0);

  auto unknown_template = Config::parse_string("[a](nope)\n", "bad.conf");
  REQUIRE(!unknown_template.ok());
  CHECK(unknown_template.message().find("template 'nope' is not defined") != std::string::npos);

  auto block = Config::parse_string("[a]\n;-- never closed\nx=1\n", "bad.conf");
  REQUIRE(!block.ok());
  CHECK(block.message().find("block comment") != std::string::npos);
}

TEST_CASE("config: typed values report the value's position", "[config]") {
  auto c = Config::parse_string("[g]\nport = 70000\nnat = maybe\nok = yes\n", "t.conf");
  REQUIRE(c.ok());
  auto* g = c->section("g");
  auto port = g->get_int("port", 5060, 1, 65535);
  REQUIRE(!port.ok());
  CHECK(port.message() == "t.conf:2:8: port must be a whole number from 1 to 65535, not '70000'");
  CHECK(*g->get_int("missing", 7, 0, 10) == 7);
  auto nat = g->get_bool("nat", false);
  REQUIRE(!nat.ok());
  CHECK(nat.message().find("t.conf:3:7") == 0);
  CHECK(*g->get_bool("ok", false));
}

TEST_CASE("config: a missing file is a clear error", "[config]") {
  auto c = Config::parse_file("/nonexistent/zvon.conf");
  REQUIRE(!c.ok());
  CHECK(c.message().find("cannot read /nonexistent/zvon.conf") == 0);
}
