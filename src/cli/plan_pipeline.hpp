#pragma once

// Request flags -> Request -> System -> Plan -> script: the path `plan`
// and `submit` share.

#include <string>

#include "environment.hpp"
#include "mlsub/error.hpp"
#include "mlsub/plan.hpp"
#include "mlsub/submit.hpp"  // PlannedJob
#include "request_options.hpp"

namespace mlsub::cli {

Expected<PlannedJob> make_plan(const GlobalOptions& global, const RequestOptions& options);

}  // namespace mlsub::cli
