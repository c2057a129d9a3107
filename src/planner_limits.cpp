#include "planner_limits.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "mlsub/words.hpp"

namespace mlsub {

std::vector<Violation> violations(const Partition& p, const Shape& shape) {
  std::vector<Violation> out;
  if (!p.has_node_type(shape.node.name)) {
    out.push_back({fmt::format("has no {} nodes", shape.node.gpu_type),
                   fmt::format("use --gpu-type {}", fmt::join(p.node_types, " or --gpu-type ")),
                   "gpu-type"});
  }
  if (shape.nodes > p.max_nodes) {
    const std::string assumed = p.facts.assumed("max_nodes");
    out.push_back({fmt::format("allows at most {} per job{}, the request needs {}",
                               plural(p.max_nodes, "node"),
                               assumed.empty() ? "" : " (an assumed cap: " + assumed + ")",
                               shape.nodes),
                   fmt::format("ask for at most {} ({} x {})",
                               plural(p.max_nodes * shape.gpus_per_node, "GPU"),
                               plural(p.max_nodes, "node"), shape.gpus_per_node),
                   "nodes-limit"});
  }
  if (shape.nodes < p.min_nodes) {
    out.push_back({fmt::format("needs at least {} nodes per job, the request has {}", p.min_nodes,
                               shape.nodes),
                   fmt::format("ask for at least {} GPUs ({} nodes x {})",
                               p.min_nodes * shape.node.gpus, p.min_nodes, shape.node.gpus),
                   "nodes-limit"});
  }
  if (p.max_gpus && shape.gpus() > *p.max_gpus) {
    out.push_back({fmt::format("allows at most {} per job, the request has {}",
                               plural(*p.max_gpus, "GPU"), shape.gpus()),
                   fmt::format("ask for at most {}", plural(*p.max_gpus, "GPU")),
                   "gpus-limit"});
  }
  if (shape.gpus() < p.min_gpus) {
    out.push_back({fmt::format("needs at least {} GPUs per job, the request has {}", p.min_gpus,
                               shape.gpus()),
                   fmt::format("ask for {} GPUs or more", p.min_gpus),
                   "gpus-limit"});
  }
  if (p.max_cpus && shape.cpus() > *p.max_cpus) {
    out.push_back({fmt::format("allows at most {} per job, the request needs {} ({} per "
                               "GPU)",
                               plural(*p.max_cpus, "CPU core"), shape.cpus(),
                               shape.node.cpus_per_gpu),
                   fmt::format("ask for at most {}",
                               plural(*p.max_cpus / shape.node.cpus_per_gpu, "GPU")),
                   "cpus-limit"});
  }
  if (shape.time > p.max_time) {
    out.push_back({fmt::format("allows at most {}, the request asks for {}",
                               format_duration(p.max_time), format_duration(shape.time)),
                   fmt::format("ask for --time {} or less", format_duration(p.max_time)),
                   "time-limit"});
  }
  if (p.max_jobs_per_user && shape.jobs > *p.max_jobs_per_user) {
    out.push_back({fmt::format("allows {} per user, and each of the request's {} array "
                               "tasks is one (pending ones count too, so a %N limit does not "
                               "help)",
                               plural(*p.max_jobs_per_user, "job"), shape.jobs),
                   fmt::format("split the sweep into arrays of at most {} tasks (--array 0-{} "
                               "and then the next range, or fewer --sweep values per run) and "
                               "submit the next when one is done",
                               *p.max_jobs_per_user, *p.max_jobs_per_user - 1),
                   "jobs-limit"});
  }
  if (p.max_node_minutes) {
    const auto used = shape.nodes * shape.time.minutes_rounded_up();
    if (used > *p.max_node_minutes) {
      const auto minutes = *p.max_node_minutes / shape.nodes;
      out.push_back({fmt::format("allows at most {} per job, the request needs {} x {} = {}",
                                 plural(*p.max_node_minutes, "node-minute"),
                                 plural(shape.nodes, "node"),
                                 plural(shape.time.minutes_rounded_up(), "minute"), used),
                     minutes > 0 ? fmt::format("ask for --time {} or less, or fewer nodes",
                                               format_duration(Duration{minutes * 60}))
                                 : std::string("ask for fewer nodes"),
                   "time-limit"});
    }
  }
  return out;
}

bool auto_eligible(const Partition& p, const Shape& shape) {
  switch (p.auto_select) {
    case AutoSelect::never:
    case AutoSelect::test:
      return false;
    case AutoSelect::partial_nodes:
      if (shape.full_nodes()) {
        return false;
      }
      break;
    case AutoSelect::always:
      break;
  }
  if (p.auto_max_time && shape.time > *p.auto_max_time) {
    return false;
  }
  return p.has_node_type(shape.node.name);
}

std::string rejection_detail(const Partition& p, const Shape& shape, const Violation& v) {
  (void)shape;
  return fmt::format("{} {}; {}", p.name, v.what, v.fix);
}

std::string alternatives(const System& s, const Partition* except, const Shape& shape) {
  std::vector<std::string> fits;
  for (const Partition& other : s.partitions) {
    if (&other != except && violations(other, shape).empty()) {
      fits.push_back(other.name);
    }
  }
  if (fits.empty()) {
    return "";
  }
  return fmt::format(", or use --partition {}, which fits", fmt::join(fits, " or --partition "));
}

Duration longest_time(const Partition& p, const Shape& shape) {
  Duration t = p.max_time;
  if (p.max_node_minutes && shape.nodes > 0) {
    t = std::min(t, Duration{*p.max_node_minutes / shape.nodes * 60});
  }
  return t;
}

const Partition* longest_partition(const System& s, const Shape& shape) {
  const Partition* best = nullptr;
  Duration best_time{0};
  for (const Partition& p : s.partitions) {
    const Duration t = longest_time(p, shape);
    if (t.seconds <= 0 || !(t < shape.time) || (best != nullptr && !(best_time < t))) {
      continue;
    }
    const Shape shorter(shape.nodes, shape.gpus_per_node, shape.node, t, shape.jobs);
    if (violations(p, shorter).empty()) {
      best = &p;
      best_time = t;
    }
  }
  return best;
}

std::string rejection(const System& s, const Partition& p, const Shape& shape, const Violation& v) {
  std::string others = alternatives(s, &p, shape);
  if (others.empty() && v.id == "time-limit") {
    // Another partition that takes the job for longer than this one.
    const Partition* longer = longest_partition(s, shape);
    if (longer != nullptr && longer != &p && longest_time(p, shape) < longest_time(*longer, shape)) {
      others = fmt::format(", or use --partition {} with --time {} or less", longer->name,
                           format_duration(longest_time(*longer, shape)));
    }
  }
  return fmt::format("{}: {}{}", s.name, rejection_detail(p, shape, v), others);
}

}  // namespace mlsub
