// Which system a batch script is for: the header mlsub writes, else its
// partition, GPU request and CSCS-only options.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <functional>
#include <iterator>

#include "gpu_request.hpp"
#include "mlsub/check.hpp"

namespace mlsub {
namespace {

// "--system X", "--system=X" or "-s X" on the "#   mlsub plan ..." line of
// the header mlsub writes (a comment before the first command).
std::optional<std::string> header_system(std::string_view text) {
  std::size_t pos = 0;
  for (int n = 0; n < 8 && pos < text.size(); ++n) {
    auto end = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    constexpr std::string_view prefix = "#   mlsub ";
    if (line.substr(0, prefix.size()) != prefix) {
      continue;
    }
    const auto words = split_at(line.substr(prefix.size()), ' ');
    for (std::size_t i = 0; i < words.size(); ++i) {
      if ((words[i] == "--system" || words[i] == "-s") && i + 1 < words.size()) {
        return words[i + 1];
      }
      if (words[i].rfind("--system=", 0) == 0) {
        return words[i].substr(9);
      }
    }
  }
  return std::nullopt;
}

// --uenv, --view (#SBATCH) and srun --environment exist only where Slurm
// has CSCS's plugins.
bool uses_cscs_plugins(const SbatchScript& script) {
  if (script.last("uenv") || script.last("view") || script.last("environment")) {
    return true;
  }
  return std::any_of(script.commands.begin(), script.commands.end(), [](const ScriptLine& l) {
    return l.text.find("srun") != std::string::npos &&
           (l.text.find("--environment=") != std::string::npos ||
            l.text.find("--uenv") != std::string::npos);
  });
}

bool has_gpu_type(const System& s, const std::string& type) {
  return std::any_of(s.node_types.begin(), s.node_types.end(), [&](const NodeType& n) {
    return lower_case(n.gpu_type) == lower_case(type);
  });
}

// Keeps the systems that pass `keep`, unless none would be left.
void narrow(std::vector<const System*>& fit, const std::function<bool(const System&)>& keep) {
  std::vector<const System*> kept;
  std::copy_if(fit.begin(), fit.end(), std::back_inserter(kept),
               [&](const System* s) { return keep(*s); });
  if (!kept.empty()) {
    fit = std::move(kept);
  }
}

}  // namespace

Expected<const System*> infer_system(const std::vector<System>& systems,
                                     const SbatchScript& script) {
  if (const auto named = header_system(script.text)) {
    for (const System& s : systems) {
      if (s.name == *named) {
        return &s;
      }
    }
  }
  const auto* partition = script.last("partition");
  const auto ask = gpu_ask(script);
  const std::optional<std::string> type = ask ? ask->type : std::nullopt;
  const bool cscs = uses_cscs_plugins(script);
  std::vector<const System*> fit;
  for (const System& s : systems) {
    if (partition && !s.find_partition(split_at(partition->value, ',').front())) {
      continue;
    }
    if (type && !has_gpu_type(s, *type)) {
      continue;
    }
    if (cscs && !s.environment.uenv && !s.environment.container_engine) {
      continue;
    }
    fit.push_back(&s);
  }
  if (ask) {
    narrow(fit, [&](const System& s) { return s.gpu_request.option == ask->directive->option; });
  }
  narrow(fit, [](const System& s) { return !s.retired; });
  if (fit.size() == 1) {
    return fit.front();
  }
  std::string what;
  if (partition) {
    what += fmt::format("partition {}", partition->value);
  }
  if (type) {
    what += fmt::format("{}GPU type {}", what.empty() ? "" : " and ", *type);
  }
  if (cscs) {
    what += fmt::format("{}CSCS's --uenv/--environment", what.empty() ? "" : " and ");
  }
  if (what.empty()) {
    what = "no partition or GPU type";
  }
  if (fit.empty()) {
    return fail(
        ErrorKind::usage,
        fmt::format("no system in the catalogue has {}; name the system with --system", what));
  }
  std::vector<std::string> names;
  for (const System* s : fit) {
    names.push_back(s->name);
  }
  return fail(ErrorKind::usage, fmt::format("cannot tell the system from {} ({} fit); name it "
                                            "with --system, e.g. --system {}",
                                            what, fmt::join(names, ", "), names.front()));
}

}  // namespace mlsub
