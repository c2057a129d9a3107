// mlsub doctor's walk and advice on generated trees.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "mlsub/doctor.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace mlsub;

TEST_CASE("doctor: many small files -> pack them, with a command", "[doctor]") {
  test::TempDir dir;
  for (int d = 0; d < 10; ++d) {
    fs::create_directories(dir.path() / "train" / std::to_string(d));
    for (int f = 0; f < 200; ++f) {
      std::ofstream(dir.path() / "train" / std::to_string(d) / (std::to_string(f) + ".jpg"))
          << std::string(static_cast<std::size_t>(1000 + f), 'x');
    }
  }
  auto scan = scan_data_dir(dir.path().string());
  REQUIRE(scan);
  CHECK(scan->files == 2000);
  CHECK(scan->directories == 11);
  CHECK(scan->small_files == 2000);
  CHECK(scan->class_files[0] == 2000);  // all under 4 KiB
  const auto advice = advise_data(*scan);
  CHECK(advice.pack);
  CHECK_THAT(advice.lines[0], Catch::Contains("100 % of the reads would be under 100 MB"));
  bool has_tar = false;
  for (const auto& line : advice.lines) {
    has_tar = has_tar || line.find("tar -C") != std::string::npos;
  }
  CHECK(has_tar);
}

TEST_CASE("doctor: a few large shards -> good", "[doctor]") {
  test::TempDir dir;
  for (int i = 0; i < 3; ++i) {
    // Sparse files: large sizes without writing the bytes.
    fs::path p = dir.path() / ("shard-" + std::to_string(i) + ".tar");
    std::ofstream(p).put('x');
    fs::resize_file(p, 200'000'000);
  }
  auto scan = scan_data_dir(dir.path().string());
  REQUIRE(scan);
  CHECK(scan->files == 3);
  CHECK(scan->small_files == 0);
  CHECK(scan->class_files[5] == 3);  // 100 MB - 1 GiB
  const auto advice = advise_data(*scan);
  CHECK_FALSE(advice.pack);
  CHECK_THAT(advice.verdict, Catch::Contains("good"));
}

TEST_CASE("doctor: bad paths give clear errors", "[doctor]") {
  test::TempDir dir;
  auto missing = scan_data_dir((dir.path() / "nope").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::usage);
  CHECK_THAT(missing.error().message, Catch::Contains("No such file or directory"));
  dir.write("file.txt", "x");
  auto file = scan_data_dir((dir.path() / "file.txt").string());
  REQUIRE_FALSE(file);
  CHECK_THAT(file.error().message, Catch::Contains("is a file, not a directory"));
}

TEST_CASE("doctor: unreadable directories are counted, not fatal", "[doctor]") {
  test::TempDir dir;
  fs::create_directories(dir.path() / "locked");
  dir.write("locked/a", "x");
  dir.write("b", "y");
  fs::permissions(dir.path() / "locked", fs::perms::none);
  auto scan = scan_data_dir(dir.path().string());
  fs::permissions(dir.path() / "locked", fs::perms::owner_all);
  REQUIRE(scan);
  if (geteuid() != 0) {  // root reads everything
    CHECK(scan->unreadable == 1);
    CHECK_THAT(scan->first_unreadable, Catch::Contains("locked"));
  }
  CHECK(scan->files >= 1);
}
