#pragma once

// The GPU request of a batch script, read from whichever option it uses
// (--gres=gpu:..., --gpus-per-node, --gpus, --gpus-per-task), and the
// site's own form of it. Private to mlsub check.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/catalogue.hpp"
#include "mlsub/check.hpp"

namespace mlsub {

std::string lower_case(std::string_view s);
// A count as sbatch writes it: digits only; nullopt otherwise.
std::optional<int> parse_count(std::string_view s);
std::vector<std::string> split_at(std::string_view s, char sep);
// "--gres=gpu:4" or "-p gpu", as it was written.
std::string written(const SbatchDirective& d);

/// The GPUs a script asks for, from whichever option it used.
struct GpuAsk {
  const SbatchDirective* directive = nullptr;
  std::optional<std::string> type;
  int count = 0;     // as written: per node, per task or per job
  bool bad = false;  // the value could not be read
};

// The request: the last GPU option of the script; nullopt when it has none.
std::optional<GpuAsk> gpu_ask(const SbatchScript& script);

// The site's directive for `count` GPUs of `type` per node:
// "--gpus-per-node=A100:4".
std::string format_request(const System& s, const std::string& type, int count);
// Its value only: "A100:4".
std::string format_request_value(const System& s, const std::string& type, int count);

// Whether the request, written with the site's own option, has the site's
// form too (a type where the format has {type}, none where it has not).
bool matches_format(const System& s, const GpuAsk& ask);

}  // namespace mlsub
