#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "mlsub/catalogue.hpp"
#include "mlsub/catalogue_pack.hpp"
#include "mlsub/system_json.hpp"

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using mlsub::Catalogue;
using mlsub::ErrorKind;

namespace {

const fs::path k_corpus = fs::path(MLSUB_TEST_DATA_DIR) / "catalogue";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// tests/catalogue/broken/expected.txt: "NAME<TAB>message" per line, where
// message is what loading broken/NAME.yaml must print, with the file's
// path written as FILE and line breaks as \n.
std::map<std::string, std::string> expected_messages() {
  std::ifstream in(k_corpus / "broken" / "expected.txt");
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) {
      out[line.substr(0, tab)] = replace_all(line.substr(tab + 1), "\\n", "\n");
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the minimal good file loads") {
  const Catalogue catalogue({(k_corpus / "good").string()});
  const auto s = catalogue.load("tiny");
  REQUIRE(s);
  CHECK(s->name == "tiny");
  CHECK(s->node_types.size() == 1);
  CHECK(s->node_types[0].gpus == 4);
  CHECK(s->node_types[0].memory.mib == 256 * 1024);
  CHECK(s->partitions[0].max_time.seconds == 86400);
  CHECK(s->partitions[0].auto_select == mlsub::AutoSelect::always);
  CHECK_FALSE(s->retired);
}

TEST_CASE("every broken catalogue file fails with its exact FILE:LINE:COL message") {
  const auto expected = expected_messages();
  const Catalogue catalogue({(k_corpus / "broken").string()});
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(k_corpus / "broken")) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    ++files;
    const std::string name = entry.path().stem().string();
    INFO("broken/" << name << ".yaml");
    const auto it = expected.find(name);
    REQUIRE(it != expected.end());
    const auto s = catalogue.load(name);
    REQUIRE_FALSE(s);
    CHECK(s.error().kind == ErrorKind::catalogue);
    CHECK(s.error().message == replace_all(it->second, "FILE", entry.path().string()));
  }
  CHECK(files == expected.size());
  CHECK(files >= 20);
}

TEST_CASE("every problem in a file is reported, one per line") {
  const std::string text =
      "schema: 1\nname: x\ntitle: t\nsite: s\ndocs: https://x\ndefault_time: nope\n"
      "colour: blue\n";
  const auto s = mlsub::parse_system(text, "x.yaml");
  REQUIRE_FALSE(s);
  const std::string& m = s.error().message;
  CHECK(m.find("x.yaml:6:15: default_time: 'nope' is not a Slurm duration") != std::string::npos);
  CHECK(m.find("x.yaml:7:1: colour: unknown key") != std::string::npos);
  CHECK(m.find("x.yaml:1:1: account: missing (required)") != std::string::npos);
  CHECK(std::count(m.begin(), m.end(), '\n') >= 6);
}

TEST_CASE("unknown systems get a suggestion; families list their members") {
  const Catalogue catalogue({MLSUB_SOURCE_DIR "/systems"});
  const auto typo = catalogue.load("lumii");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().kind == ErrorKind::usage);
  CHECK(typo.error().message.rfind("unknown system 'lumii'; did you mean 'lumi'?", 0) == 0);
  const auto family = catalogue.load("alps");
  REQUIRE_FALSE(family);
  CHECK(family.error().message ==
        "'alps' has several clusters: alps-clariden, alps-daint, alps-santis; name one, e.g. "
        "--system alps-clariden");
  const auto escape = catalogue.load("../systems/lumi");
  REQUIRE_FALSE(escape);
  CHECK(escape.error().message.rfind("unknown system", 0) == 0);
  // A cluster's own name, without its family: suggested whole.
  const auto daint = catalogue.load("daint");
  REQUIRE_FALSE(daint);
  CHECK(daint.error().message.rfind("unknown system 'daint'; did you mean 'alps-daint'?", 0) == 0);
  const auto santis = catalogue.load("santi");
  REQUIRE_FALSE(santis);
  CHECK(santis.error().message.rfind("unknown system 'santi'; did you mean 'alps-santis'?", 0) ==
        0);
  CHECK(catalogue.load("ALPS").error().message.rfind("'ALPS' has several clusters", 0) == 0);
}

TEST_CASE("system names are case-insensitive") {
  const Catalogue catalogue({MLSUB_SOURCE_DIR "/systems"});
  const auto lumi = catalogue.load("LUMI");
  REQUIRE(lumi);
  CHECK(lumi->name == "lumi");
  const auto daint = catalogue.load("Alps-Daint");
  REQUIRE(daint);
  CHECK(daint->name == "alps-daint");
}

TEST_CASE("a later directory overrides a system of the same name") {
  const mlsub::test::TempDir tmp;
  const fs::path& dir = tmp.path();
  std::ifstream in(k_corpus / "good" / "tiny.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string changed = replace_all(text.str(), "title: A test system", "title: Overridden");
  changed = replace_all(changed, "name: tiny", "name: lumi");
  std::ofstream(dir / "lumi.yaml") << changed;
  const Catalogue catalogue({MLSUB_SOURCE_DIR "/systems", dir.string()});
  const auto s = catalogue.load("lumi");
  REQUIRE(s);
  CHECK(s->title == "Overridden");
}

TEST_CASE("the built-in catalogue loads completely") {
  const Catalogue catalogue({MLSUB_SOURCE_DIR "/systems"});
  const auto all = catalogue.load_all();
  REQUIRE(all);
  std::vector<std::string> names;
  for (const auto& s : *all) {
    names.push_back(s.name);
  }
  CHECK(names == std::vector<std::string>{"alps-clariden", "alps-daint", "alps-santis", "alvis",
                                          "jupiter", "karolina", "leonardo", "lumi", "mahti",
                                          "puhti", "roihu", "vega"});
}

// Every live system says what its site documents for checking a job's GPU
// use (a tool, or none_documented with the page), so mlsub report's advice
// never silently leaves a site out (docs/catalogue.md, monitoring).
TEST_CASE("every live system has a monitoring block") {
  const Catalogue catalogue({MLSUB_SOURCE_DIR "/systems"});
  const auto all = catalogue.load_all();
  REQUIRE(all);
  for (const auto& s : *all) {
    INFO(s.name);
    if (s.retired) {
      continue;
    }
    REQUIRE(s.monitoring.has_value());
    CHECK_FALSE(s.monitoring->source.url.empty());
    CHECK(s.monitoring->none_documented ==
          (!s.monitoring->energy_counter && s.monitoring->efficiency_tool.empty() &&
           s.monitoring->site_tool.empty()));
  }
}

// The catalogue compiled into the binary (catalogue_pack.hpp) must be the
// files as they are, parsed: same text, same System, every field.
TEST_CASE("the packed built-in catalogue is the systems/ files, parsed") {
  const fs::path dir = fs::path(MLSUB_SOURCE_DIR) / "systems";
  const Catalogue plain({dir.string()});
  const auto& packed = mlsub::builtin_packed_systems();
  REQUIRE(packed.size() == plain.names().size());
  for (const auto& entry : packed) {
    INFO(entry.name);
    std::ifstream in(dir / (std::string(entry.name) + ".yaml"), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    CHECK(entry.yaml == text.str());
    const auto parsed = plain.load(entry.name);
    REQUIRE(parsed);
    auto unpacked = mlsub::unpack_system(entry.packed);
    REQUIRE(unpacked);
    CHECK(unpacked->file.empty());  // the loader says where it read the file
    unpacked->file = parsed->file;
    CHECK(mlsub::to_json(*unpacked).dump(1) == mlsub::to_json(*parsed).dump(1));
    CHECK(mlsub::pack_system(*parsed) == entry.packed);
  }
}

TEST_CASE("packed bytes cut short or followed by more are refused") {
  const auto& packed = mlsub::builtin_packed_systems();
  REQUIRE_FALSE(packed.empty());
  const std::string_view bytes = packed.front().packed;
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    CHECK_FALSE(mlsub::unpack_system(bytes.substr(0, n)));
  }
  CHECK_FALSE(mlsub::unpack_system(std::string(bytes) + "x"));
  CHECK(mlsub::unpack_system(bytes));
}

TEST_CASE("a built-in file is unpacked only while its text is unchanged") {
  const fs::path source = fs::path(MLSUB_SOURCE_DIR) / "systems" / "lumi.yaml";
  std::ifstream in(source, std::ios::binary);
  std::ostringstream original;
  original << in.rdbuf();
  mlsub::test::TempDir same;
  mlsub::test::TempDir edited;
  same.write("lumi.yaml", original.str());
  const std::string from = "default_time: ";
  const auto at = original.str().find(from);
  REQUIRE(at != std::string::npos);
  std::string changed = original.str();
  const auto end = changed.find('\n', at);
  changed.replace(at, end - at, "default_time: \"0:07:00\"");
  edited.write("lumi.yaml", changed);

  const auto& packed = mlsub::builtin_packed_systems();
  const auto copy = Catalogue({same.path().string()}, &packed).load("lumi");
  REQUIRE(copy);
  CHECK(copy->file == (same.path() / "lumi.yaml").string());  // where it was read, not the build's
  CHECK(copy->default_time.seconds != 7 * 60);

  const auto changed_system = Catalogue({edited.path().string()}, &packed).load("lumi");
  REQUIRE(changed_system);
  CHECK(changed_system->default_time.seconds == 7 * 60);

  // A broken edit is reported as before, not hidden by the packed copy.
  edited.write("lumi.yaml", original.str() + "\nnot a key\n");
  const auto broken = Catalogue({edited.path().string()}, &packed).load("lumi");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().kind == ErrorKind::catalogue);
}
