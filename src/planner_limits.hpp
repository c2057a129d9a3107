#pragma once

// Partition limits: which ones a job shape breaks, and how to say so.
// Private to the planner.

#include <string>
#include <vector>

#include "mlsub/catalogue.hpp"

namespace mlsub {

/// The size of a job, as the partition limits see it.
struct Shape {
  Shape(int nodes_, int gpus_per_node_, const NodeType& node_, Duration time_, long long jobs_ = 1)
      : nodes(nodes_), gpus_per_node(gpus_per_node_), node(node_), time(time_), jobs(jobs_) {}

  int nodes;
  int gpus_per_node;
  const NodeType& node;
  Duration time;
  // Jobs the request submits at once: the tasks of its array (or sweep),
  // each a job to Slurm's per-user limits.
  long long jobs = 1;

  int gpus() const { return nodes * gpus_per_node; }
  int cpus() const { return node.cpus_per_gpu * gpus(); }
  bool full_nodes() const { return gpus_per_node == node.gpus; }
};

/// One limit a shape breaks: what the limit is, and a request that meets it.
struct Violation {
  std::string what;  // "allows at most 2 GPUs per job, the request has 4"
  std::string fix;   // "ask for at most 2 GPUs"
  std::string id;    // which limit, as mlsub check names it: "gpus-limit"
};

// Every limit of `p` that `shape` breaks, most fundamental first (node
// type, nodes, GPUs, CPUs, time).
std::vector<Violation> violations(const Partition& p, const Shape& shape);

// Whether the planner may choose `p` for `shape` by itself (its `auto` and
// `auto_max_time` rules); limits are checked separately.
bool auto_eligible(const Partition& p, const Shape& shape);

// "gpusmall allows at most 2 GPUs per job, the request has 4; ask for at most 2 GPUs"
std::string rejection_detail(const Partition& p, const Shape& shape, const Violation& v);

// ", or use --partition X, which fits" for every partition of `s` other than
// `except` that admits `shape` when named; "" when none does.
std::string alternatives(const System& s, const Partition* except, const Shape& shape);

// The longest time limit `p` allows `shape` (its max_time, or less where it
// caps node-minutes).
Duration longest_time(const Partition& p, const Shape& shape);

// The partition of `s` that takes `shape` for longest when only its time
// limit stands in the way (the request asks for more); nullptr when none.
const Partition* longest_partition(const System& s, const Shape& shape);

// "mahti: " + rejection_detail + the partitions that would take the request.
std::string rejection(const System& s, const Partition& p, const Shape& shape, const Violation& v);

}  // namespace mlsub
