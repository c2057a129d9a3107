// libFuzzer target: `mlsub check`'s reading of a batch script, from
// arbitrary bytes, and the linting of what it read against every built-in
// system.
//
// parse_sbatch_directives never fails, so the target checks what it
// promises (include/mlsub/check.hpp):
//   * every directive comes from a line that starts with "#SBATCH" in
//     column 1, before the first command; every ignored one after it;
//   * directives are in line order, line numbers within the script;
//   * an option sbatch knows has its long name, and every one its spelling.
// Then check_script and infer_system run against each built-in system:
// they must not throw or crash, and every finding must sit on a line of the
// script (line 1 for the whole script) with a one-line message and an id.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "invariants.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/check.hpp"

#ifndef MLSUB_SOURCE_DATA_DIR
#error "MLSUB_SOURCE_DATA_DIR must be defined by the build"
#endif

namespace {

using mlsub::fuzz::violated;

const std::vector<mlsub::System>* g_systems = nullptr;

// The script's lines as sbatch splits them: at '\n'.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      if (start < text.size()) {
        lines.push_back(text.substr(start));
      }
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

void check_directive_line(const std::vector<std::string_view>& lines,
                          const mlsub::SbatchDirective& d, std::string_view text) {
  if (d.line < 1 || static_cast<std::size_t>(d.line) > lines.size()) {
    violated("a directive's line number is outside the script", text);
  }
  if (lines[static_cast<std::size_t>(d.line) - 1].substr(0, 7) != "#SBATCH") {
    violated("a directive came from a line that does not start with #SBATCH", text);
  }
  // An option sbatch does not know keeps its name as written, which can be
  // empty ("#SBATCH --=2"); one it knows always has its long name.
  if (d.known && d.option.empty()) {
    violated("a known option has an empty name", text);
  }
  if (d.spelling.empty()) {
    violated("a directive has no spelling", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto all = mlsub::Catalogue({std::string(MLSUB_SOURCE_DATA_DIR) + "/systems"}).load_all();
  if (!all || all->empty()) {
    violated("cannot load the built-in catalogue");
  }
  g_systems = new std::vector<mlsub::System>(std::move(*all));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto script = mlsub::parse_sbatch_directives(text);
  const auto lines = lines_of(text);
  int previous = 0;
  for (const auto& d : script.directives) {
    check_directive_line(lines, d, text);
    if (d.line < previous) {
      violated("directives are not in line order", text);
    }
    previous = d.line;
    if (script.first_command_line != 0 && d.line >= script.first_command_line) {
      violated("a directive after the first command was read", text);
    }
  }
  for (const auto& d : script.ignored) {
    check_directive_line(lines, d, text);
    if (script.first_command_line == 0 || d.line <= script.first_command_line) {
      violated("a directive before the first command was ignored", text);
    }
  }
  for (const auto& system : *g_systems) {
    for (const auto& f : mlsub::check_script(system, script)) {
      // A finding about the whole script (no account, say) is on line 1,
      // which an empty script does not have.
      if (f.line < 1 || static_cast<std::size_t>(f.line) > std::max<std::size_t>(lines.size(), 1)) {
        violated("a finding's line is outside the script", text);
      }
      if (f.id.empty() || f.message.empty() || f.message.find('\n') != std::string::npos) {
        violated("a finding without an id, or whose message is not one line", f.message);
      }
    }
  }
  (void)mlsub::infer_system(*g_systems, script);
  return 0;
}
