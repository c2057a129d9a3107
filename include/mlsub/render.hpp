#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mlsub/error.hpp"
#include "mlsub/plan.hpp"

namespace mlsub {

/// The mustache templates a script is made from, found in an ordered list of
/// directories (a later one overrides an earlier one), parsed once and
/// reusable for any number of renders.
class TemplateSet {
 public:
  // Reads `<launcher>.sbatch.mustache` and every partial it names
  // ({{> header}} is header.mustache). With `override_file` set, that file
  // is the main template and partials still come from `dirs`.
  static Expected<TemplateSet> load(const std::vector<std::string>& dirs, Launcher launcher,
                                    const std::string& override_file = "");

  TemplateSet(TemplateSet&&) noexcept;
  TemplateSet& operator=(TemplateSet&&) noexcept;
  ~TemplateSet();

  // Renders the script. Every {{value}} passes through shell_quote; a key
  // the template names but the plan does not provide is an error, never an
  // empty string.
  Expected<std::string> render(const Plan& plan, const std::string& version) const;

 private:
  struct Impl;
  explicit TemplateSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace mlsub
