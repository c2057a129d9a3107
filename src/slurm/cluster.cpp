// What a cluster's Slurm says about itself (scontrol show partition, node,
// config), read: pure functions, no processes.

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>

#include "mlsub/slurm.hpp"
#include "mlsub/text.hpp"

namespace mlsub {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::vector<std::string_view> split(std::string_view s, char by) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (true) {
    const auto end = s.find(by, at);
    out.push_back(s.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (end == std::string_view::npos) {
      return out;
    }
    at = end + 1;
  }
}

// Lines of a command's output, blank ones left out.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::string_view line : split(text, '\n')) {
    line = trim(line);
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

std::string get(const std::map<std::string, std::string>& record, const char* key) {
  const auto it = record.find(key);
  return it == record.end() ? std::string() : it->second;
}

bool is_unset(std::string_view v) {
  return v.empty() || v == "UNLIMITED" || v == "NONE" || v == "INFINITE" || v == "(null)" ||
         v == "N/A" || v == "0";
}

// A count such as MaxNodes=8: unset for UNLIMITED; an error for garbage.
Expected<std::optional<int>> count_of(const std::string& value, const char* key,
                                      std::string_view line) {
  if (is_unset(value)) {
    return std::optional<int>();
  }
  if (!all_digits(value)) {
    return fail(ErrorKind::slurm, fmt::format("scontrol printed {}={}, not a number, in '{}'", key,
                                              value, slurm_message(line.substr(0, 120))));
  }
  return std::optional<int>(std::atoi(value.c_str()));
}

// Megabytes as scontrol prints memory (RealMemory=262144, DefMemPerGPU=60000).
Expected<std::optional<Size>> megabytes_of(const std::string& value, const char* key,
                                           std::string_view line) {
  auto n = count_of(value, key, line);
  if (!n) {
    return tl::unexpected(n.error());
  }
  if (!*n) {
    return std::optional<Size>();
  }
  return std::optional<Size>(Size{static_cast<std::uint64_t>(**n)});
}

std::vector<std::string> list_of(const std::string& value) {
  std::vector<std::string> out;
  if (is_unset(value)) {
    return out;
  }
  for (auto item : split(value, ',')) {
    if (!item.empty()) {
      out.emplace_back(item);
    }
  }
  return out;
}

// JobDefaults=DefCpuPerGPU=8,DefMemPerGPU=60000: a word whose value holds
// '=' itself; parse_scontrol_record keeps everything after the first '='.
std::map<std::string, std::string> job_defaults(const std::string& value) {
  std::map<std::string, std::string> out;
  for (auto item : split(value, ',')) {
    const auto eq = item.find('=');
    if (eq != std::string_view::npos) {
      out.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
  }
  return out;
}

}  // namespace

std::optional<GresEntry> SlurmNode::gpu() const {
  for (const auto& g : gres) {
    if (g.name == "gpu") {
      return g;
    }
  }
  return std::nullopt;
}

std::vector<GresEntry> parse_gres(std::string_view text) {
  std::vector<GresEntry> out;
  if (is_unset(trim(text))) {
    return out;
  }
  // Commas also appear inside socket bindings: "gpu:a100:4(S:0-1),nvme:10".
  std::string cleaned;
  int depth = 0;
  for (char c : text) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      depth = std::max(0, depth - 1);
    } else if (depth == 0) {
      cleaned += c;
    }
  }
  for (auto item : split(cleaned, ',')) {
    const auto parts = split(trim(item), ':');
    GresEntry e;
    if (parts.size() == 2 && all_digits(parts[1])) {
      e = GresEntry{std::string(parts[0]), "", std::atol(std::string(parts[1]).c_str())};
    } else if (parts.size() == 3 && all_digits(parts[2])) {
      e = GresEntry{std::string(parts[0]), std::string(parts[1]),
                    std::atol(std::string(parts[2]).c_str())};
    } else if (parts.size() == 1 && !parts[0].empty()) {
      e = GresEntry{std::string(parts[0]), "", 1};  // "gpu" alone: one
    } else {
      continue;
    }
    if (!e.name.empty()) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

Expected<std::optional<Duration>> parse_slurm_limit(std::string_view text) {
  text = trim(text);
  if (text == "UNLIMITED" || text == "NONE" || text == "INFINITE" || text == "N/A" ||
      text == "(null)") {
    return std::optional<Duration>();
  }
  // scontrol prints hours beyond a day only after the days field, but a
  // limit of whole hours may come as "HH:MM:SS" with HH up to 23.
  auto d = parse_duration(text);
  if (!d) {
    return fail(ErrorKind::slurm,
                fmt::format("cannot read the time limit '{}' that Slurm printed", text));
  }
  return std::optional<Duration>(*d);
}

Expected<std::vector<SlurmPartition>> parse_partitions(std::string_view text) {
  std::vector<SlurmPartition> out;
  for (const std::string_view line : lines_of(text)) {
    const auto r = parse_scontrol_record(line);
    SlurmPartition p;
    p.name = get(r, "PartitionName");
    if (p.name.empty()) {
      return fail(ErrorKind::slurm,
                  fmt::format("scontrol show partition printed a line without PartitionName: '{}'",
                              slurm_message(line.substr(0, 120))));
    }
    p.is_default = get(r, "Default") == "YES";
    auto max_time = parse_slurm_limit(get(r, "MaxTime"));
    auto def_time = parse_slurm_limit(get(r, "DefaultTime"));
    auto max_nodes = count_of(get(r, "MaxNodes"), "MaxNodes", line);
    auto min_nodes = count_of(get(r, "MinNodes"), "MinNodes", line);
    const auto defaults = job_defaults(get(r, "JobDefaults"));
    auto cpu_per_gpu = count_of(get(defaults, "DefCpuPerGPU"), "DefCpuPerGPU", line);
    auto mem_per_gpu = megabytes_of(get(defaults, "DefMemPerGPU"), "DefMemPerGPU", line);
    auto max_mem = megabytes_of(get(r, "MaxMemPerNode"), "MaxMemPerNode", line);
    auto max_mem_cpu = megabytes_of(get(r, "MaxMemPerCPU"), "MaxMemPerCPU", line);
    for (const Error* e : {max_time ? nullptr : &max_time.error(),
                           def_time ? nullptr : &def_time.error(),
                           max_nodes ? nullptr : &max_nodes.error(),
                           min_nodes ? nullptr : &min_nodes.error(),
                           cpu_per_gpu ? nullptr : &cpu_per_gpu.error(),
                           mem_per_gpu ? nullptr : &mem_per_gpu.error(),
                           max_mem ? nullptr : &max_mem.error(),
                           max_mem_cpu ? nullptr : &max_mem_cpu.error()}) {
      if (e) {
        return tl::unexpected(Error{ErrorKind::slurm,
                                    fmt::format("partition {}: {}", p.name, e->message)});
      }
    }
    p.max_time = *max_time;
    p.default_time = *def_time;
    p.max_nodes = *max_nodes;
    p.min_nodes = min_nodes->value_or(0);
    p.def_cpu_per_gpu = *cpu_per_gpu;
    p.def_mem_per_gpu = *mem_per_gpu;
    p.max_mem_per_node = *max_mem;
    p.max_mem_per_cpu = *max_mem_cpu;
    // OverSubscribe=EXCLUSIVE (Shared=EXCLUSIVE before Slurm 16.05).
    const std::string over = get(r, "OverSubscribe").empty() ? get(r, "Shared")
                                                              : get(r, "OverSubscribe");
    p.exclusive = over.rfind("EXCLUSIVE", 0) == 0;
    p.state = get(r, "State");
    p.nodes = get(r, "Nodes");
    if (p.nodes == "(null)") {
      p.nodes.clear();
    }
    out.push_back(std::move(p));
  }
  return out;
}

Expected<std::vector<SlurmNode>> parse_nodes(std::string_view text) {
  std::vector<SlurmNode> out;
  for (const std::string_view line : lines_of(text)) {
    const auto r = parse_scontrol_record(line);
    SlurmNode n;
    n.name = get(r, "NodeName");
    if (n.name.empty()) {
      return fail(ErrorKind::slurm,
                  fmt::format("scontrol show node printed a line without NodeName: '{}'",
                              slurm_message(line.substr(0, 120))));
    }
    const std::string cpus = get(r, "CPUEfctv").empty() ? get(r, "CPUTot") : get(r, "CPUEfctv");
    auto c = count_of(cpus, "CPUTot", line);
    auto t = count_of(get(r, "ThreadsPerCore"), "ThreadsPerCore", line);
    auto m = megabytes_of(get(r, "RealMemory"), "RealMemory", line);
    for (const Error* e : {c ? nullptr : &c.error(), t ? nullptr : &t.error(),
                           m ? nullptr : &m.error()}) {
      if (e) {
        return tl::unexpected(Error{ErrorKind::slurm,
                                    fmt::format("node {}: {}", n.name, e->message)});
      }
    }
    n.cpus = c->value_or(0);
    n.threads_per_core = std::max(1, t->value_or(1));
    n.memory = m->value_or(Size{});
    n.gres = parse_gres(get(r, "Gres"));
    n.features = list_of(get(r, "AvailableFeatures"));
    n.partitions = list_of(get(r, "Partitions"));
    n.state = get(r, "State");
    out.push_back(std::move(n));
  }
  return out;
}

std::map<std::string, std::string> parse_config(std::string_view text) {
  std::map<std::string, std::string> out;
  for (const std::string_view line : lines_of(text)) {
    const auto eq = line.find(" = ");
    if (eq == std::string_view::npos) {
      continue;  // the header ("Configuration data as of ...") and section titles
    }
    const std::string_view key = trim(line.substr(0, eq));
    if (key.empty() || key.find(' ') != std::string_view::npos) {
      continue;
    }
    out.emplace(std::string(key), std::string(trim(line.substr(eq + 3))));
  }
  return out;
}

Expected<std::vector<std::string>> expand_hostlist(std::string_view text) {
  constexpr std::size_t k_max = 1000000;
  std::vector<std::string> out;
  const auto bad = [&] {
    return fail(ErrorKind::slurm, fmt::format("cannot read the node list '{}' that Slurm printed",
                                              slurm_message(text.substr(0, 120))));
  };
  std::size_t at = 0;
  text = trim(text);
  while (at < text.size()) {
    // One name: prefix[ranges]suffix..., up to a comma outside brackets.
    std::vector<std::string> names{""};
    while (at < text.size() && text[at] != ',') {
      if (text[at] == '[') {
        const auto close = text.find(']', at);
        if (close == std::string_view::npos) {
          return bad();
        }
        std::vector<std::string> next;
        for (auto range : split(text.substr(at + 1, close - at - 1), ',')) {
          const auto dash = range.find('-');
          const std::string_view lo = range.substr(0, dash);
          const std::string_view hi =
              dash == std::string_view::npos ? lo : range.substr(dash + 1);
          if (!all_digits(lo) || !all_digits(hi)) {
            return bad();
          }
          const long a = std::atol(std::string(lo).c_str());
          const long b = std::atol(std::string(hi).c_str());
          if (b < a || static_cast<std::size_t>(b - a) > k_max) {
            return bad();
          }
          for (const auto& prefix : names) {
            for (long i = a; i <= b; ++i) {
              next.push_back(prefix + fmt::format("{:0{}d}", i, lo.size()));
              if (next.size() + out.size() > k_max) {
                return bad();
              }
            }
          }
        }
        names = std::move(next);
        at = close + 1;
      } else {
        const auto stop = text.find_first_of("[,", at);
        const std::string_view piece =
            text.substr(at, stop == std::string_view::npos ? std::string_view::npos : stop - at);
        for (auto& n : names) {
          n += piece;
        }
        at = stop == std::string_view::npos ? text.size() : stop;
      }
    }
    for (auto& n : names) {
      if (!n.empty()) {
        out.push_back(std::move(n));
      }
    }
    ++at;  // the comma
  }
  return out;
}

}  // namespace mlsub
