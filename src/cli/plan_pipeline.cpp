#include "plan_pipeline.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "config_apply.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/config.hpp"
#include "mlsub/planner.hpp"
#include "mlsub/render.hpp"
#include "output.hpp"

namespace mlsub::cli {

Expected<PlannedJob> make_plan(const GlobalOptions& global, const RequestOptions& options,
                               CLI::App* command) {
  const Catalogue catalogue = open_catalogue(global);
  spdlog::debug("catalogue directories: {}", fmt::join(catalogue.dirs(), ", "));
  auto system = catalogue.load(options.system);
  if (!system) {
    return tl::unexpected(system.error());
  }
  spdlog::debug("system {} from {}", system->name, system->file);
  // Config files and the environment fill the flags left out, through
  // `command`'s options (and so into `options`).
  AppliedConfig applied;
  RequestDefaults defaults;
  if (command != nullptr && !global.from_header) {
    auto files = load_config_files(global, catalogue);
    if (!files) {
      return tl::unexpected(files.error());
    }
    auto done = apply_config(*command, *system, *files);
    if (!done) {
      return tl::unexpected(done.error());
    }
    applied = std::move(*done);
    for (const auto& note : applied.notes) {
      print_note(printable(note));
    }
    defaults.header_words = applied.header_words;
    for (const auto& s : applied.settings) {
      if (s.key == "account") {
        defaults.account_origin = s.origin.describe();
      }
    }
  }
  auto request = to_request(options, global.command_line, defaults);
  if (!request) {
    return tl::unexpected(attribute_error(request.error(), applied.settings));
  }
  auto plan = plan_job(*system, *request);
  if (!plan) {
    return tl::unexpected(attribute_error(plan.error(), applied.settings));
  }
  attribute_reasons(*plan, applied.settings);
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
