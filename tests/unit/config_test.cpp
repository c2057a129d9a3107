#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "mlsub/catalogue.hpp"
#include "mlsub/config.hpp"
#include "test_systems.hpp"

using namespace mlsub;
using mlsub::test::system_named;
namespace fs = std::filesystem;

namespace {

const ConfigSchema schema{{"account", "env", "exclusive", "module", "partition", "time", "venv"},
                          {"lumi", "roihu", "alvis"}};

ConfigFile parsed(const std::string& text, ConfigScope scope, const std::string& path) {
  auto f = parse_config(text, path, scope, schema);
  INFO((f ? "" : f.error().message));
  REQUIRE(f);
  return *f;
}

std::string value_of(const ResolvedConfig& r, const std::string& key) {
  const Setting* s = r.find(key);
  return s == nullptr ? "(unset)" : s->values.front();
}

}  // namespace

TEST_CASE("parse_config reads sections of scalars, lists and maps") {
  const auto f = parsed("all:\n  time: \"2:00:00\"\n  env: {HF_HOME: /scratch/hf, A: ''}\n"
                        "LUMI:\n  module: [a, '[1,2]']\n  account: project_465000123\n",
                        ConfigScope::user, "u.yaml");
  REQUIRE(f.sections.size() == 2);
  const ConfigSection* all = f.section("all");
  REQUIRE(all != nullptr);
  CHECK(all->entries[0].values == std::vector<std::string>{"2:00:00"});
  CHECK_FALSE(all->entries[0].list);
  CHECK(all->entries[1].values == std::vector<std::string>{"HF_HOME=/scratch/hf", "A="});
  const ConfigSection* lumi = f.section("lumi");  // system names as the catalogue spells them
  REQUIRE(lumi != nullptr);
  CHECK(lumi->entries[0].values == std::vector<std::string>{"a", "[1,2]"});  // taken whole
  CHECK(lumi->entries[1].line == 6);
  CHECK(lumi->entries[1].column == 3);
  CHECK(parse_config("", "empty.yaml", ConfigScope::user, schema));
}

TEST_CASE("parse_config names the file, line and column of each problem") {
  auto bad = parse_config("lumi:\n  acount: x\nlumii:\n  time: 1\n", "c.yaml", ConfigScope::user,
                          schema);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::config);
  CHECK(bad.error().message ==
        "c.yaml:2:3: lumi.acount: unknown setting 'acount'; did you mean 'account'? settings are "
        "the long flags of mlsub plan and submit, without -- (mlsub config --help)\n"
        "c.yaml:3:1: 'lumii' is not a system mlsub knows, nor all; did you mean 'lumi'? sections "
        "are all: and system names (mlsub systems lists them)");
  auto top = parse_config("account: x\n", "c.yaml", ConfigScope::user, schema);
  REQUIRE_FALSE(top);
  CHECK(top.error().message.rfind("c.yaml:1:1: account: settings go in a section", 0) == 0);
  auto yaml = parse_config("lumi: [\n", "c.yaml", ConfigScope::user, schema);
  REQUIRE_FALSE(yaml);
  CHECK(yaml.error().message.find("c.yaml:2:1: not valid YAML") == 0);
  auto nested = parse_config("lumi:\n  time: {a: [1]}\n", "c.yaml", ConfigScope::user, schema);
  REQUIRE_FALSE(nested);
  CHECK(nested.error().message.find("c.yaml:2:") == 0);
  auto empty = parse_config("lumi:\n  time:\n", "c.yaml", ConfigScope::user, schema);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message == "c.yaml:2:3: lumi.time: no value; give one or leave the key out");
}

TEST_CASE("resolve_config: flag, system section (project, user), environment, all:, catalogue") {
  const auto project = parsed("all:\n  time: '1:00:00'\n  venv: /p\nlumi:\n  partition: small-g\n",
                              ConfigScope::project, "/p/.mlsub.yaml");
  const auto user = parsed("all:\n  time: '3:00:00'\n  account: project_465000999\n  module: m\n"
                           "lumi:\n  partition: standard-g\n  venv: /u\n  account: "
                           "project_465000123\n",
                           ConfigScope::user, "/h/config.yaml");
  const std::vector<ConfigFile> files{user, project};  // either order
  const AccountEnvironment env{std::string("project_465000555"), std::nullopt};

  auto r = resolve_config(files, system_named("lumi"), env);
  REQUIRE(r);
  CHECK(value_of(*r, "partition") == "small-g");            // project lumi: over user lumi:
  CHECK(r->find("partition")->origin.kind == Origin::Kind::project);
  CHECK(value_of(*r, "venv") == "/u");                      // user lumi: over project all:
  CHECK(value_of(*r, "account") == "project_465000123");   // user lumi: over the environment
  CHECK(value_of(*r, "time") == "1:00:00");                 // project all: over user all:
  CHECK(value_of(*r, "module") == "m");                     // user all:
  CHECK(r->find("time")->origin.describe() == "project file /p/.mlsub.yaml:2:3 (all:)");
  CHECK(r->notes.empty());

  // Without a lumi: account, the environment comes before every all:.
  const auto no_lumi_account =
      parsed("all:\n  account: project_465000999\n", ConfigScope::user, "/h/config.yaml");
  auto e = resolve_config({no_lumi_account}, system_named("lumi"), env);
  REQUIRE(e);
  CHECK(value_of(*e, "account") == "project_465000555");
  CHECK(e->find("account")->origin.describe() == "$MLSUB_ACCOUNT");

  // A flag wins: the key is left out, and no environment account is looked at.
  auto f = resolve_config(files, system_named("lumi"), env, {"partition", "account"});
  REQUIRE(f);
  CHECK(f->find("partition") == nullptr);
  CHECK(f->find("account") == nullptr);
  CHECK(value_of(*f, "venv") == "/u");
}

TEST_CASE("resolve_config leaves an environment account of another site's form aside") {
  const AccountEnvironment csc{std::string("project_2001234"), std::nullopt};
  auto roihu = resolve_config({}, system_named("roihu"), csc);
  REQUIRE(roihu);
  CHECK(value_of(*roihu, "account") == "project_2001234");
  CHECK(roihu->notes.empty());

  auto lumi = resolve_config({}, system_named("lumi"), csc);
  REQUIRE(lumi);
  CHECK(lumi->find("account") == nullptr);
  REQUIRE(lumi->notes.size() == 1);
  CHECK(lumi->notes[0].rfind("$MLSUB_ACCOUNT (project_2001234) is not of lumi's account form", 0) ==
        0);

  // ... and falls through to $SBATCH_ACCOUNT, then to a file's all:.
  const AccountEnvironment both{std::string("project_2001234"), std::string("project_465000123")};
  auto next = resolve_config({}, system_named("lumi"), both);
  REQUIRE(next);
  CHECK(value_of(*next, "account") == "project_465000123");
  CHECK(next->find("account")->origin.where == "SBATCH_ACCOUNT");
  const auto all = parsed("all:\n  account: project_465000777\n", ConfigScope::user, "u.yaml");
  auto fallback = resolve_config({all}, system_named("lumi"), csc);
  REQUIRE(fallback);
  CHECK(value_of(*fallback, "account") == "project_465000777");
  CHECK(fallback->notes.size() == 1);
}

TEST_CASE("attribute_error and attribute_reasons name a file's setting") {
  Setting time;
  time.key = "time";
  time.values = {"1h"};
  time.origin = Origin{Origin::Kind::user, "/h/config.yaml", "lumi", 4, 3};
  const std::vector<Setting> settings{time};

  const Error usage = attribute_error(Error{ErrorKind::usage, "invalid time '1h' for --time"},
                                      settings);
  CHECK(usage.kind == ErrorKind::config);
  CHECK(usage.message ==
        "/h/config.yaml:4:3: lumi.time: invalid time '1h' for --time; fix it in that file");
  // --time-limit is another flag; and errors that do not name it stay as they are.
  CHECK(attribute_error(Error{ErrorKind::usage, "bad --time-limit"}, settings).kind ==
        ErrorKind::usage);
  const Error rejected = attribute_error(Error{ErrorKind::rejected, "too long for --time"},
                                         settings);
  CHECK(rejected.kind == ErrorKind::rejected);
  CHECK(rejected.message == "too long for --time (--time from /h/config.yaml:4:3)");

  Plan plan;
  plan.reasons.push_back({"time", "1:00:00", "asked for with --time", ""});
  Setting venv;
  venv.key = "venv";
  venv.values = {"/v"};
  venv.origin = Origin{Origin::Kind::project, "/p/.mlsub.yaml", "all", 2, 3};
  attribute_reasons(plan, {time, venv});
  REQUIRE(plan.reasons.size() == 2);
  CHECK(plan.reasons[0].why ==
        "asked for with --time (--time from user file /h/config.yaml:4:3 (lumi:))");
  CHECK(plan.reasons[1].field == "venv");
  CHECK(plan.reasons[1].why == "--venv from project file /p/.mlsub.yaml:2:3 (all:)");
}

TEST_CASE("the config files' places") {
  CHECK(user_config_path("/x", "/h") == "/x/mlsub/config.yaml");
  CHECK(user_config_path("", "/h") == "/h/.config/mlsub/config.yaml");
  CHECK(user_config_path(nullptr, nullptr).empty());

  const fs::path root = fs::temp_directory_path() / "mlsub-config-test";
  fs::remove_all(root);
  fs::create_directories(root / "repo" / "a" / "b");
  fs::create_directories(root / "repo" / ".git");
  std::ofstream(root / ".mlsub.yaml") << "all: {}\n";  // above the repository: not read
  CHECK_FALSE(find_project_config((root / "repo" / "a" / "b").string()));
  std::ofstream(root / "repo" / "a" / ".mlsub.yaml") << "all: {}\n";
  CHECK(find_project_config((root / "repo" / "a" / "b").string()) ==
        (root / "repo" / "a" / ".mlsub.yaml").string());
  fs::remove_all(root);
}
