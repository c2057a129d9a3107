#pragma once

#include "mlsub/catalogue.hpp"
#include "mlsub/error.hpp"
#include "mlsub/plan.hpp"
#include "mlsub/request.hpp"

namespace mlsub {

// Decides the job for `request` on `system`: node type, node split,
// partition, tasks, CPUs, memory, GPU directive, time, account and launcher,
// each with its reason. Pure and total: reads no file, runs no process, and
// returns either a Plan or an Error whose message names the limit that was
// hit and a request that would pass (ErrorKind::rejected), or the value that
// is malformed (ErrorKind::usage).
//
// Example: plan_job(lumi, Request{.gpus = 8, .program = "train.py"})
//          -> partition "standard-g", nodes 1, gpus_per_node 8
Expected<Plan> plan_job(const System& system, const Request& request);

}  // namespace mlsub
