#include <catch2/catch.hpp>

#include "mlsub/size.hpp"

using mlsub::format_size;
using mlsub::parse_size;
using mlsub::Size;

TEST_CASE("parse_size reads Slurm sizes in binary units") {
  CHECK(parse_size("64G")->mib == 64 * 1024);
  CHECK(parse_size("64g")->mib == 64 * 1024);
  CHECK(parse_size("1500")->mib == 1500);
  CHECK(parse_size("1500M")->mib == 1500);
  CHECK(parse_size("2T")->mib == 2 * 1024 * 1024);
  CHECK(parse_size("2048K")->mib == 2);
}

TEST_CASE("parse_size rejects what sbatch would not take") {
  for (const char* bad : {"", "G", "64GB", "1.5G", "-1G", "64X", "1000K", " 64G"}) {
    INFO(bad);
    CHECK_FALSE(parse_size(bad));
  }
}

TEST_CASE("format_size uses the largest exact unit") {
  CHECK(format_size(Size{64 * 1024}) == "64G");
  CHECK(format_size(Size{1500}) == "1500M");
  CHECK(format_size(Size{2 * 1024 * 1024}) == "2T");
  CHECK(format_size(Size{480 * 1024}) == "480G");
}
