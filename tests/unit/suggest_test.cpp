#include <catch2/catch.hpp>

#include "mlsub/suggest.hpp"

using mlsub::closest_match;
using mlsub::did_you_mean;

TEST_CASE("closest_match suggests plausible typos only") {
  const std::vector<std::string> systems{"alvis", "lumi", "mahti", "puhti", "roihu"};
  CHECK(closest_match("lumii", systems) == "lumi");
  CHECK(closest_match("LUMI", systems) == "lumi");
  CHECK(closest_match("puhit", systems) == "puhti");
  CHECK_FALSE(closest_match("frontier", systems));
  CHECK(did_you_mean("mahit", systems) == " did you mean 'mahti'?");
  CHECK(did_you_mean("zzz", systems).empty());
}
