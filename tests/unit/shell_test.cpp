#include <catch2/catch.hpp>

#include "mlsub/shell.hpp"

using mlsub::has_control_char;
using mlsub::is_sbatch_safe;
using mlsub::shell_join;
using mlsub::shell_quote;

TEST_CASE("shell_quote leaves safe words bare") {
  CHECK(shell_quote("standard-g") == "standard-g");
  CHECK(shell_quote("gpu:v100:1") == "gpu:v100:1");
  CHECK(shell_quote("logs/%x-%j.out") == "logs/%x-%j.out");
  CHECK(shell_quote("--lr=3e-4") == "--lr=3e-4");
}

TEST_CASE("shell_quote single-quotes anything else") {
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("'; touch /tmp/x'") == "''\\''; touch /tmp/x'\\'''");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("a\"b") == "'a\"b'");
  CHECK(shell_quote("*") == "'*'");
  CHECK(shell_quote("~") == "'~'");
  CHECK(shell_quote("#SBATCH") == "'#SBATCH'");
}

TEST_CASE("shell_quote double-quotes and escapes what would expand") {
  CHECK(shell_quote("$(id)") == "\"\\$(id)\"");
  CHECK(shell_quote("`id`") == "\"\\`id\\`\"");
  CHECK(shell_quote("${HOME}") == "\"\\${HOME}\"");
  CHECK(shell_quote("a\"$b\\c") == "\"a\\\"\\$b\\\\c\"");
  CHECK(shell_quote("$'x'") == "\"\\$'x'\"");
}

// sbatch takes a backslash as an escape even inside single quotes: a value
// with one goes in double quotes, where bash and sbatch read it the same.
TEST_CASE("shell_quote never puts a backslash inside single quotes") {
  CHECK(shell_quote("back\\slash") == "\"back\\\\slash\"");
  CHECK(shell_quote("C:\\dir x") == "\"C:\\\\dir x\"");
  CHECK(shell_quote("\\'") == "\"\\\\'\"");
}

// Both are plain bash, but shellcheck warns: SC2088 (a tilde in quotes does
// not expand) and SC1097/SC2283 (`export X==`, `source =x`).
TEST_CASE("shell_quote escapes a leading ~/ and quotes a leading =") {
  CHECK(shell_quote("~/x") == "\\~/x");
  CHECK(shell_quote("~/a b") == "\\~'/a b'");
  CHECK(shell_quote("~") == "'~'");
  CHECK(shell_quote("=") == "'='");
  CHECK(shell_quote("==x") == "'==x'");
  CHECK(shell_quote("a=b") == "a=b");
}

TEST_CASE("shell_quote keeps control characters and non-ASCII bytes on one line") {
  CHECK(shell_quote("a\nb") == "$'a\\nb'");
  CHECK(shell_quote("tab\there") == "$'tab\\there'");
  CHECK(shell_quote("it's\n") == "$'it\\'s\\n'");
  CHECK(shell_quote("back\\slash\n") == "$'back\\\\slash\\n'");
  CHECK(shell_quote("\x01") == "$'\\x01'");
  CHECK(shell_quote("caf\xc3\xa9") == "$'caf\\xc3\\xa9'");
  CHECK(shell_quote("\xff") == "$'\\xff'");
  for (const char* s : {"a\nb", "\r", "\x1e", "x\x7f"}) {
    CHECK(shell_quote(s).find('\n') == std::string::npos);
  }
}

TEST_CASE("shell_join quotes each word") {
  CHECK(shell_join({"python3", "train.py", "--name", "my run"}) ==
        "python3 train.py --name 'my run'");
  CHECK(shell_join({}).empty());
}

TEST_CASE("has_control_char finds what would break an #SBATCH line") {
  CHECK(has_control_char("a\nb"));
  CHECK(has_control_char("a\rb"));
  CHECK(has_control_char("\x7f"));
  CHECK_FALSE(has_control_char("my job (v2)"));
  CHECK_FALSE(has_control_char("caf\xc3\xa9"));
}

TEST_CASE("is_sbatch_safe accepts printable ASCII only") {
  CHECK(is_sbatch_safe("my job (v2) $x 'y' \\z"));
  CHECK(is_sbatch_safe(""));
  CHECK_FALSE(is_sbatch_safe("caf\xc3\xa9"));
  CHECK_FALSE(is_sbatch_safe("a\nb"));
  CHECK_FALSE(is_sbatch_safe("\x7f"));
}

TEST_CASE("split_shell_words reads back what shell_join writes, without a shell") {
  const std::vector<std::string> words = {
      "plan", "--system", "lumi", "it's", "a b", "$HOME", "`id`", "back\\slash", "~/x",
      "=lead", "line\nbreak", "tab\there", "caf\xc3\xa9", "\"quoted\"", ""};
  for (const auto& w : words) {
    auto back = mlsub::split_shell_words(shell_quote(w));
    REQUIRE(back);
    if (w.empty()) {
      continue;  // shell_quote("") is ''
    }
    REQUIRE(back->size() == 1);
    CHECK(back->front() == w);
  }
  auto all = mlsub::split_shell_words(shell_join(words));
  REQUIRE(all);
  CHECK(all->size() == words.size());
  // What a shell would act on is refused, never run.
  for (const char* line : {"plan $(touch x)", "plan `id`", "plan a;b", "plan a|b", "plan a&&b",
                           "plan >x", "plan \"$HOME\"", "plan 'open", "plan \"open"}) {
    CHECK_FALSE(mlsub::split_shell_words(line));
  }
}
