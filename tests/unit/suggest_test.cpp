#include <catch2/catch.hpp>

#include "mlsub/suggest.hpp"
#include "mlsub/words.hpp"

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

TEST_CASE("counts and articles read right") {
  CHECK(mlsub::plural(1, "node") == "1 node");
  CHECK(mlsub::plural(0, "node") == "0 nodes");
  CHECK(mlsub::plural(2, "GPU") == "2 GPUs");
  CHECK(mlsub::plural(1, "process", "processes") == "1 process");
  CHECK(mlsub::plural(3, "process", "processes") == "3 processes");
  CHECK(mlsub::with_article("alvis") == "an alvis");
  CHECK(mlsub::with_article("lumi") == "a lumi");
  CHECK(mlsub::with_article("A100") == "an A100");
  CHECK(mlsub::with_article("MI250x") == "an MI250x");
  CHECK(mlsub::with_article("GH200") == "a GH200");
  CHECK(mlsub::with_article("T4") == "a T4");
  CHECK(mlsub::with_article("v100") == "a v100");
  CHECK(mlsub::with_article("uenv") == "a uenv");
  CHECK(mlsub::with_article("8") == "an 8");
  CHECK(mlsub::with_article("11") == "an 11");
  CHECK(mlsub::with_article("18") == "an 18");
  CHECK(mlsub::with_article("80") == "an 80");
  CHECK(mlsub::with_article("2") == "a 2");
  CHECK(mlsub::with_article("16") == "a 16");
  CHECK(mlsub::with_article("110") == "a 110");
}
