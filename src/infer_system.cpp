// Which system a batch script is for, from its partition and GPU request.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>

#include "gpu_request.hpp"
#include "mlsub/check.hpp"

namespace mlsub {

Expected<const System*> infer_system(const std::vector<System>& systems,
                                     const SbatchScript& script) {
  const auto* partition = script.last("partition");
  const auto ask = gpu_ask(script);
  const std::optional<std::string> type = ask ? ask->type : std::nullopt;
  std::vector<const System*> fit;
  for (const System& s : systems) {
    if (partition && !s.find_partition(split_at(partition->value, ',').front())) {
      continue;
    }
    if (type && std::none_of(s.node_types.begin(), s.node_types.end(), [&](const NodeType& n) {
          return lower_case(n.gpu_type) == lower_case(*type);
        })) {
      continue;
    }
    fit.push_back(&s);
  }
  if (fit.size() > 1 && ask) {
    std::vector<const System*> same_syntax;
    for (const System* s : fit) {
      if (s->gpu_request.option == ask->directive->option) {
        same_syntax.push_back(s);
      }
    }
    if (!same_syntax.empty()) {
      fit = same_syntax;
    }
  }
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
