#include <catch2/catch.hpp>

#include "mlsub/duration.hpp"

using mlsub::Duration;
using mlsub::format_duration;
using mlsub::parse_duration;

TEST_CASE("parse_duration accepts every sbatch --time form") {
  CHECK(parse_duration("90")->seconds == 90 * 60);
  CHECK(parse_duration("15:30")->seconds == 15 * 60 + 30);
  CHECK(parse_duration("1:00:00")->seconds == 3600);
  CHECK(parse_duration("36:00:00")->seconds == 36 * 3600);
  CHECK(parse_duration("2-12")->seconds == (2 * 24 + 12) * 3600);
  CHECK(parse_duration("2-12:30")->seconds == (2 * 24 + 12) * 3600 + 30 * 60);
  CHECK(parse_duration("1-12:00:00")->seconds == 129600);
  CHECK(parse_duration("0:15:00")->seconds == 900);
}

TEST_CASE("parse_duration rejects malformed and impossible times with a fix") {
  for (const char* bad : {"", "abc", "1h", "1:2:3:4", "-5", "1-", "1-25:00:00", "1:75:00",
                          "0:00:61", "0", "0:00:00", "1:00:00 ", " 1:00:00", "400-00:00:00"}) {
    INFO(bad);
    const auto d = parse_duration(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().kind == mlsub::ErrorKind::usage);
    CHECK(d.error().message.find("HH:MM:SS") != std::string::npos);
  }
}

TEST_CASE("format_duration writes what the sites' examples write") {
  CHECK(format_duration(Duration{3600}) == "1:00:00");
  CHECK(format_duration(Duration{900}) == "0:15:00");
  CHECK(format_duration(Duration{3 * 86400}) == "3-00:00:00");
  CHECK(format_duration(Duration{36 * 3600}) == "1-12:00:00");
  CHECK(format_duration(Duration{61}) == "0:01:01");
}

TEST_CASE("format and parse round-trip") {
  for (const std::int64_t s : {60, 61, 3599, 3600, 86399, 86400, 129600, 7 * 86400 + 1}) {
    CHECK(parse_duration(format_duration(Duration{s}))->seconds == s);
  }
}
