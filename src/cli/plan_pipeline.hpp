#pragma once

// Request flags -> Request -> System -> Plan -> script: the path `plan`
// and `submit` share.

#include <CLI/CLI.hpp>
#include <string>

#include "environment.hpp"
#include "mlsub/error.hpp"
#include "mlsub/plan.hpp"
#include "mlsub/submit.hpp"  // PlannedJob
#include "request_options.hpp"

namespace mlsub::cli {

// `command` (plan's or submit's CLI11 app, after parsing): config files and
// the environment fill the flags its command line left out, writing into
// `options` through its callbacks; null: the flags alone.
Expected<PlannedJob> make_plan(const GlobalOptions& global, const RequestOptions& options,
                               CLI::App* command = nullptr);

}  // namespace mlsub::cli
