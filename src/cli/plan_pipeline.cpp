#include "plan_pipeline.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "mlsub/catalogue.hpp"
#include "mlsub/planner.hpp"
#include "mlsub/render.hpp"

namespace mlsub::cli {

Expected<PlannedJob> make_plan(const GlobalOptions& global, const RequestOptions& options) {
  auto request = to_request(options, global.command_line, !global.from_header);
  if (!request) {
    return tl::unexpected(request.error());
  }
  const Catalogue catalogue = open_catalogue(global);
  spdlog::debug("catalogue directories: {}", fmt::join(catalogue.dirs(), ", "));
  auto system = catalogue.load(request->system);
  if (!system) {
    return tl::unexpected(system.error());
  }
  spdlog::debug("system {} from {}", system->name, system->file);
  auto plan = plan_job(*system, *request);
  if (!plan) {
    return tl::unexpected(plan.error());
  }
  const auto dirs = template_dirs(global);
  spdlog::debug("template directories: {}", fmt::join(dirs, ", "));
  auto templates = TemplateSet::load(dirs, plan->launcher, options.template_file.value_or(""));
  if (!templates) {
    return tl::unexpected(templates.error());
  }
  auto script = templates->render(*plan, MLSUB_VERSION);
  if (!script) {
    return tl::unexpected(script.error());
  }
  return PlannedJob{std::move(*plan), std::move(*script)};
}

}  // namespace mlsub::cli
