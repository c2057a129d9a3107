#pragma once
// The catalogue against the live site: `mlsub catalogue verify` compares a
// System with what the cluster's Slurm reports, `mlsub catalogue import`
// writes a new system file from it. Pure functions over a SiteView, which
// read_site fills through a SlurmClient; the CLI only prints.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlsub/catalogue.hpp"
#include "mlsub/error.hpp"
#include "mlsub/slurm.hpp"

namespace mlsub {

/// What a cluster's Slurm says about itself.
struct SiteView {
  std::string cluster;  // ClusterName
  std::map<std::string, std::string> config;
  std::vector<SlurmPartition> partitions;
  std::vector<SlurmNode> nodes;  // without the skipped ones
  std::vector<std::string> skipped_nodes;
};

/// Asks Slurm (scontrol show config, partition, node) and reads the
/// answers. Nodes with any of `skip_features` (e.g. nodes kept for
/// something else) are left out, from node types and partitions alike.
Expected<SiteView> read_site(SlurmClient& slurm, const std::vector<std::string>& skip_features);

/// The nodes of one GPU type, as the site has them. Nodes of a type may
/// differ (some with more memory): `gpus` is the most common GPU count,
/// `cores` and `memory` the least among the nodes with that count, `count`
/// every node of the type.
struct SiteNodeType {
  std::string gpu_type;  // "" for untyped gres (gpu:4)
  int gpus = 0;
  int cores = 0;
  Size memory;
  int count = 0;
  std::vector<std::string> partitions;  // the partitions with nodes of this type
};

/// The site's GPU node types, most nodes first (ties by name).
std::vector<SiteNodeType> site_node_types(const SiteView& site);

/// The site's partitions that hold GPU nodes, in Slurm's order, each with
/// the names of the GPU types it holds.
std::vector<std::pair<const SlurmPartition*, std::vector<std::string>>> gpu_partitions(
    const SiteView& site);

enum class FactStatus { holds, differs, not_checked };

/// One fact of the catalogue compared with the site.
struct FactCheck {
  std::string subject;  // "partition standard-g", "node type A40", "system"
  std::string field;    // max_time, count, ...
  FactStatus status = FactStatus::holds;
  std::string catalogue;  // the catalogue's value, as the file writes it
  std::string site;       // the site's, or why it was not checked
  bool changes_plan = false;  // a difference that makes mlsub plan otherwise
  SourceRef source;           // where the catalogue's value comes from
};

/// Where paths are looked for: nullopt when the host is not the site's
/// (paths are then "not checked").
struct PathProbe {
  std::function<bool(const std::string&)> exists;       // a file or directory
  std::function<bool(const std::string&)> on_path;      // a command on $PATH
};

/// Every fact of `system` that Slurm can tell, compared with `site`, and
/// every one it cannot, as not_checked.
std::vector<FactCheck> verify_system(const System& system, const SiteView& site,
                                   const std::optional<PathProbe>& paths);

/// How GPUs are asked for on the cluster, as the catalogue writes it.
struct GpuForm {
  std::string option;  // gres, gpus-per-node
  std::string format;  // gpu:{type}:{count}, {type}:{count}, {count}
  std::string why;
  bool probed = false;  // sbatch --test-only accepted it
};

/// The forms to try, best first, for the site's GPU types: --gpus-per-node
/// where the select plugin is cons_tres (Slurm 19.05+), then --gres.
std::vector<GpuForm> gpu_forms(const SiteView& site);

/// The first form `sbatch --test-only` accepts for a one-GPU, one-minute
/// job on the site's first GPU partition (scripts written under
/// `scratch_dir`); unset when it accepts none (e.g. it wants an account).
std::optional<GpuForm> probe_gpu_form(SlurmClient& slurm, const SiteView& site,
                                      const std::string& scratch_dir);

struct ImportOptions {
  std::string name;   // the system's name (file name without .yaml)
  std::string today;  // YYYY-MM-DD, the date every fact is checked
  std::string docs;   // the site's documentation URL, or ""
  std::optional<GpuForm> gpu_form;  // probed; unset: chosen from the config, marked assumed
};

/// The text of systems/NAME.yaml for `site`: every fact Slurm reports with
/// source slurm://CLUSTER, every other one a conservative default listed
/// under `assumed:`. An error when the site has no GPU nodes.
Expected<std::string> import_system(const SiteView& site, const ImportOptions& options);

}  // namespace mlsub
