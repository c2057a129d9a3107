// What to change, with the numbers behind it.

#include <algorithm>
#include <fmt/format.h>

#include "mlsub/report.hpp"

namespace mlsub {

namespace {

// Low utilisation: the GPUs wait, usually for the data loader.
Advice feed_faster(const JobStats& job, const ReportContext& c) {
  std::string cpus;
  if (c.cpus_per_gpu > 0) {
    cpus = fmt::format(" ({}'s rule is {} CPUs per GPU{})", c.system.empty() ? "the site" : c.system,
                       c.cpus_per_gpu,
                       c.cpus_per_task > 0 ? fmt::format("; the job had {} per task", c.cpus_per_task)
                                           : "");
  }
  return {fmt::format("feed the GPUs faster: more data-loader workers, "
                      "DataLoader(num_workers=int(os.environ[\"MLSUB_NUM_WORKERS\"])){}, "
                      "and check the data layout with mlsub doctor DATA_DIR",
                      cpus),
          fmt::format("mean GPU utilisation is {} %, under 50 %: the GPUs mostly wait, "
                      "usually for the data loader",
                      shown_percent(job.mean_utilization))};
}

}  // namespace

std::vector<Advice> advise(const std::vector<GpuStats>& gpus, const JobStats& job,
                           const ReportContext& c) {
  std::vector<Advice> out;
  if (gpus.empty()) {
    return out;
  }
  // One GPU busy, the others idle: the program drives one GPU only.
  int busy = 0, idle = 0;
  for (const auto& g : gpus) {
    busy += shown_percent(g.mean_utilization) >= 50;
    idle += shown_percent(g.mean_utilization) < 10;
  }
  const bool one_busy = gpus.size() > 1 && busy == 1 && idle == static_cast<int>(gpus.size()) - 1;
  if (one_busy) {
    out.push_back({"start one process per GPU: use --launcher srun or torchrun (or "
                   "torch.distributed / DDP in the program), not one Python process",
                   fmt::format("one GPU is busy and the other {} are idle (under 10 %)",
                               gpus.size() - 1)});
  } else if (shown_percent(job.mean_utilization) < 50) {
    out.push_back(feed_faster(job, c));
  }
  // Memory far below the GPU's.
  double peak = 0, total = 0;
  for (const auto& g : gpus) {
    peak = std::max(peak, g.peak_memory_mib);
    total = std::max(total, g.memory_total_mib);
  }
  if (total <= 0) {
    total = static_cast<double>(c.gpu_memory_mib);
  }
  if (total > 0 && peak > 0 && shown_percent(100 * peak / total) < 40) {
    out.push_back({gpus.size() > 1 ? "use a larger batch per GPU, or fewer GPUs"
                                   : "use a larger batch (or a smaller GPU type where the site has one)",
                   fmt::format("peak GPU memory is {:.1f} GiB of {:.0f} GiB ({} %)",
                               peak / 1024, total / 1024, shown_percent(100 * peak / total))});
  }
  if (!c.efficiency_tool.empty() && !c.job_id.empty()) {
    std::string tool = c.efficiency_tool;
    if (auto at = tool.find("{job}"); at != std::string::npos) {
      tool.replace(at, 5, c.job_id);
    }
    out.push_back({fmt::format("compare with the site's own view: {}", tool),
                   "the site documents it for checking jobs"});
  }
  if (!c.site_tool.empty()) {
    out.push_back({fmt::format("for the site's own report, run the program under its tool: {}",
                               c.site_tool),
                   "the site documents it for checking a job's GPU use"});
  }
  return out;
}

}  // namespace mlsub
