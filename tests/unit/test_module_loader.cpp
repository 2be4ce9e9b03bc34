#include <catch2/catch.hpp>

#include "test_core.h"

using zvon::test::TestCore;


TEST_CASE("module loader: load, pin, refuse unload while in use, unload", "[modules]") {
  TestCore core;
  auto& loader = core->modules();
  REQUIRE(loader.load("test_good").ok());
  CHECK(loader.is_loaded("test_good"));
  CHECK(!loader.load("test_good").ok());  // twice is an error, not a second copy

  {
    auto app = core->find_application("testnoop");  // case-insensitive
    REQUIRE(app);
    CHECK(loader.list().at(0).uses == 1);
    auto refused = loader.unload("test_good");
    REQUIRE(!refused.ok());
    CHECK(refused.message().find("test_good is in use") != std::string::npos);
    CHECK(loader.is_loaded("test_good"));
    CHECK(core->find_application("TestNoop"));  // reopened for use after the refusal
  }
  REQUIRE(loader.unload("test_good").ok());
  CHECK(!loader.is_loaded("test_good"));
  CHECK(!core->find_application("TestNoop"));  // unregistered with the module object
}

TEST_CASE("module loader: a wrong ABI is refused before any module code runs", "[modules]") {
  TestCore core;
  auto r = core->modules().load("test_bad_abi");
  REQUIRE(!r.ok());
  CHECK(r.message().find("was built for module ABI 2 but this zvon has ABI 1") != std::string::npos);
  CHECK(!core->modules().is_loaded("test_bad_abi"));
}

TEST_CASE("module loader: a failing load is reported with its reason", "[modules]") {
  TestCore core;
  auto r = core->modules().load("test_failing_load");
  REQUIRE(!r.ok());
  CHECK(r.message() == "module test_failing_load failed to load: the test configuration says no");
  auto missing = core->modules().load("no_such_module");
  REQUIRE(!missing.ok());
  CHECK(missing.message().find("no module no_such_module") == 0);
}

TEST_CASE("module loader: dependencies load first and cannot unload under a dependant", "[modules]") {
  TestCore core;
  auto& loader = core->modules();
  REQUIRE(loader.load("test_needs_good").ok());
  CHECK(loader.is_loaded("test_good"));
  auto refused = loader.unload("test_good");
  REQUIRE(!refused.ok());
  CHECK(refused.message() == "module test_good is needed by test_needs_good: unload that first");
  REQUIRE(loader.unload("test_needs_good").ok());
  REQUIRE(loader.unload("test_good").ok());
}
