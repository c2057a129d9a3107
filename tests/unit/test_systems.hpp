#pragma once
// The catalogued systems (and the test catalogue's good ones) by name,
// loaded once per test process.

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "mlsub/catalogue.hpp"

namespace mlsub::test {

inline const System& system_named(const std::string& name) {
  static std::map<std::string, System> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    const Catalogue catalogue({MLSUB_SOURCE_DIR "/systems", MLSUB_TEST_DATA_DIR "/catalogue/good"});
    auto s = catalogue.load(name);
    if (!s) {
      FAIL(s.error().message);
    }
    it = cache.emplace(name, std::move(*s)).first;
  }
  return it->second;
}

}  // namespace mlsub::test
