#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core_impl.h"

namespace fs = std::filesystem;

namespace {

// A core with no modules configured, loading from the test modules directory.
std::unique_ptr<zvon::CoreImpl> make_test_core() {
  fs::path dir = fs::temp_directory_path() / ("zvon-loader-test-" + std::to_string(::getpid()));
  fs::create_directories(dir / "etc");
  fs::create_directories(dir / "dialplan");
  std::ofstream(dir / "etc" / "modules.conf") << "[modules]\nautoload = no\n";
  std::ofstream(dir / "dialplan" / "extensions.conf") << "[default]\n";
  zvon::CoreSettings s;
  s.paths.config_dir = dir / "etc";
  s.paths.dialplan_dir = dir / "dialplan";
  s.paths.modules_dir = ZVON_TEST_MODULES_DIR;
  s.paths.run_dir = dir / "run";
  s.paths.data_dir = dir / "var";
  s.workers = 1;
  s.log_level = zvon::LogLevel::Warning;
  auto core = zvon::CoreImpl::create(s);
  REQUIRE(core.ok());
  auto started = (*core)->start(false);
  REQUIRE(started.ok());
  return std::move(*core);
}

}  // namespace

TEST_CASE("module loader: load, pin, refuse unload while in use, unload", "[modules]") {
  auto core = make_test_core();
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
  auto core = make_test_core();
  auto r = core->modules().load("test_bad_abi");
  REQUIRE(!r.ok());
  CHECK(r.message().find("was built for module ABI 2 but this zvon has ABI 1") != std::string::npos);
  CHECK(!core->modules().is_loaded("test_bad_abi"));
}

TEST_CASE("module loader: a failing load is reported with its reason", "[modules]") {
  auto core = make_test_core();
  auto r = core->modules().load("test_failing_load");
  REQUIRE(!r.ok());
  CHECK(r.message() == "module test_failing_load failed to load: the test configuration says no");
  auto missing = core->modules().load("no_such_module");
  REQUIRE(!missing.ok());
  CHECK(missing.message().find("no module no_such_module") == 0);
}

TEST_CASE("module loader: dependencies load first and cannot unload under a dependant", "[modules]") {
  auto core = make_test_core();
  auto& loader = core->modules();
  REQUIRE(loader.load("test_needs_good").ok());
  CHECK(loader.is_loaded("test_good"));
  auto refused = loader.unload("test_good");
  REQUIRE(!refused.ok());
  CHECK(refused.message() == "module test_good is needed by test_needs_good: unload that first");
  REQUIRE(loader.unload("test_needs_good").ok());
  REQUIRE(loader.unload("test_good").ok());
}
