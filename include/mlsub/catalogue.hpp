#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/duration.hpp"
#include "mlsub/enum_names.hpp"
#include "mlsub/error.hpp"
#include "mlsub/launcher.hpp"
#include "mlsub/size.hpp"

namespace mlsub {

struct PackedSystem;

/// Where a catalogue fact comes from: the page that states it and the date
/// someone last compared the two. --explain prints it.
struct SourceRef {
  std::string url;
  std::string checked;  // YYYY-MM-DD
};

/// A note on one fact (one field) of a catalogue block, for facts that the
/// block's own source does not carry. Either `assumed` says why the value
/// is mlsub's assumption (no site page states it: --explain and `mlsub
/// show` say "assumed", never the site's rule), or `source` is the page
/// that does state it.
struct FactNote {
  std::string field;
  std::string assumed;  // non-empty: an assumption, and why
  SourceRef source;     // set when not assumed
};

/// The notes of one block, at most one per field (checked at load).
struct FactNotes {
  std::vector<FactNote> notes;

  const FactNote* find(std::string_view field) const;
  // The reason a field is assumed, or "" when a site source states it.
  std::string assumed(std::string_view field) const;
  // The field's own source where it has one, else the block's.
  const SourceRef& source(std::string_view field, const SourceRef& block) const;
};

/// A Slurm constraint (feature) the site documents, for jobs to ask for
/// with -C. Recorded so that a request's constraints can be checked.
struct SiteConstraint {
  std::string name;     // as written after -C: thp_never&nvidia_vboost_enabled
  std::string meaning;  // one sentence: what it does and when the site advises it
  SourceRef source;
};

enum class GpuVendor { nvidia, amd };
inline constexpr EnumNames<GpuVendor, 2> k_gpu_vendor_names{
    {{GpuVendor::nvidia, "nvidia"}, {GpuVendor::amd, "amd"}}};
enum class MemoryPolicy { per_gpu, site };
inline constexpr EnumNames<MemoryPolicy, 2> k_memory_policy_names{
    {{MemoryPolicy::per_gpu, "per_gpu"}, {MemoryPolicy::site, "site"}}};
/// When the planner may pick a partition without being told to. `test`: a
/// debug or test queue, never chosen on its own; when a job would fit it,
/// the plan says so in a note.
enum class AutoSelect { always, partial_nodes, never, test };
inline constexpr EnumNames<AutoSelect, 4> k_auto_select_names{
    {{AutoSelect::always, "always"},
     {AutoSelect::partial_nodes, "partial_nodes"},
     {AutoSelect::never, "never"},
     {AutoSelect::test, "test"}}};

/// One kind of GPU node. Invariant (checked at load): gpus >= 1 and
/// cpus_per_gpu * gpus <= cores.
struct NodeType {
  std::string name;
  std::string gpu_type;  // the Slurm GPU type, in the site's spelling
  std::string gpu_model;
  GpuVendor gpu_vendor = GpuVendor::nvidia;
  Size gpu_memory;
  int gpus = 0;
  int cores = 0;
  Size memory;
  int cpus_per_gpu = 0;
  int count = 0;
  std::string why_cpus;
  // Node-local disk that jobs reserve with the GPU request (`nvme:GB`):
  // the gres name and the most one node gives. Unset: none to reserve.
  std::optional<std::string> local_disk_gres;
  std::optional<Size> local_disk_max;
  // Node-local disk with no reservation (Roihu's $TMPDIR), or where the
  // reserved disk appears: the variable the job finds it in, its size per
  // user, and what to tell a user who asks for --local-disk where nothing
  // can be reserved.
  std::string local_disk_variable;  // LOCAL_SCRATCH, TMPDIR
  std::optional<Size> local_disk_size;
  std::string local_disk_advice;
  // The most GPUs of this type one job may take (a MIG slice: 1); unset:
  // only the partition's limits apply.
  std::optional<int> max_per_job;
  // Memory the site gives with each GPU of this type, where it differs
  // from the system's rule (a MIG slice's fixed share).
  std::optional<Size> memory_per_gpu;
  // Said as a warning when a job spans several of these nodes.
  std::string multi_node_advice;
  SourceRef source;
  FactNotes facts;
};

/// A Slurm partition and the limits a job must meet in it.
/// Invariant: 1 <= min_nodes <= max_nodes, min_gpus >= 1.
struct Partition {
  std::string name;
  Duration max_time;
  int max_nodes = 1;
  int min_nodes = 1;
  std::optional<int> max_gpus;
  int min_gpus = 1;
  std::optional<int> max_cpus;
  std::optional<int> max_node_minutes;
  bool whole_node = false;
  // The partition Slurm uses when a job names none (at most one per system).
  bool is_default = false;
  std::optional<MemoryPolicy> memory;  // overrides System::memory.policy
  std::vector<std::string> node_types;  // empty: every node type
  AutoSelect auto_select = AutoSelect::always;
  std::optional<Duration> auto_max_time;
  // Per-user caps of the partition's QOS: jobs a user may have submitted
  // (each array task counts, pending ones too) and running at once.
  std::optional<int> max_jobs_per_user;
  std::optional<int> max_running_per_user;
  std::string why;
  // Said as a warning whenever a job goes to this partition (an access
  // condition, such as a scalability test).
  std::string note;
  SourceRef source;
  FactNotes facts;

  bool has_node_type(std::string_view name) const;
};

/// A system that no longer runs jobs, kept for the scripts people carry.
struct Retirement {
  std::string date;
  std::string successor;
  std::string note;
  SourceRef source;
};

struct AccountRule {
  std::optional<std::string> pattern;  // ECMAScript regex for the whole account
  bool case_insensitive = false;
  // False where the site bills a default project when none is given: the
  // script then has no --account line (and no placeholder).
  bool required = true;
  std::string placeholder;
  std::string why;
  SourceRef source;
  FactNotes facts;
};

/// How the site wants GPUs asked for: `#SBATCH --<option>=<format>`, where
/// {type} is NodeType::gpu_type and {count} the GPUs per node.
struct GpuRequestSyntax {
  std::string option;
  std::string format;
  std::string why;
  // A job without any GPU option still sees every GPU of its nodes (the
  // site does not constrain devices, e.g. Alps's exclusive nodes).
  bool all_gpus_without_request = false;
  SourceRef source;
  FactNotes facts;
};

struct MemoryRule {
  MemoryPolicy policy = MemoryPolicy::site;
  std::optional<Size> per_gpu;  // set when policy is per_gpu
  std::string why;
  SourceRef source;
  FactNotes facts;
};

struct LaunchRule {
  Launcher multi_gpu = Launcher::srun;
  std::string why;
  SourceRef source;
  // For srun jobs that fill whole nodes: srun's --cpu-bind value (one mask
  // per task, in local-rank order). GPU visibility is left to Slurm, so
  // that LOCAL_RANK indexes a GPU every task can see.
  std::optional<std::string> cpu_bind;
  std::string binding_why;
  // Variables the site itself sets in multi-node jobs for a rendezvous
  // (C3SE: PROEPI_HEAD_NODE, PROEPI_FREE_PORT). Known, not used: mlsub
  // derives its own, which works on every site.
  std::optional<std::string> rendezvous_host_variable;
  std::optional<std::string> rendezvous_port_variable;
  std::optional<SourceRef> rendezvous_source;
  FactNotes facts;
};

/// How the site runs container images: `RUNTIME VERB FLAGS... IMAGE`.
struct ContainerRule {
  std::string runtime = "apptainer";  // or singularity
  std::string arch = "x86_64";        // or aarch64: images must match
  std::string verb = "exec";          // or run
  // Words after the verb, written into the script as shell text (so that
  // `--bind="$(csc-common-bind)"` expands on the node); the catalogue is
  // trusted like the templates. Checked at load: one line, no control bytes.
  std::vector<std::string> flags;
  // The image a job runs in when it names none (--container overrides it);
  // unset: without --container the program runs on the host.
  std::optional<std::string> image;
  std::string image_why;
  // Modules the runtime needs on the host (file systems and network inside
  // the image), loaded instead of the site's PyTorch modules.
  std::vector<std::string> modules;
  std::string modules_why;
  SourceRef source;
};

/// A module the site has deprecated, and what to say when it is asked for.
struct DeprecatedModule {
  std::string prefix;  // matches the module name or its start ("pytorch" or "Local-CSC")
  std::string warning;
};

/// CSCS-style software: user environments (uenv) mounted by Slurm, and the
/// Container Engine (srun --environment=EDF).
struct UenvRule {
  std::string view;                    // --view=...
  std::vector<std::string> variables;  // KEY=VALUE exported for multi-GPU jobs
  // KEY=VALUE exported in every job with the uenv (CSCS's PyTorch template).
  std::vector<std::string> job_variables;
  std::optional<SourceRef> job_variables_source;
  SourceRef source;
};

struct Environment {
  std::optional<UenvRule> uenv;
  std::optional<SourceRef> container_engine;
  std::string container_engine_arch;  // images the Container Engine runs must match
  // srun options added with --edf (e.g. Alps Extended Images need
  // --mpi=pmix --network=disable_rdzv_get); --plain-edf leaves them out.
  std::vector<std::string> container_engine_srun_options;
  std::string container_engine_why;
  // Where PyTorch comes from with the site's modules, for --explain.
  std::string why;
  // Set where the site has no default environment: a job without --module,
  // --uenv, --edf or --container is refused with this text (the ways in).
  std::string no_default;
  std::vector<std::string> module_use;
  std::vector<std::string> modules;
  // KEY=VALUE exported in jobs with more than one GPU (collective
  // communication settings: network interfaces, NCCL/RCCL options).
  std::vector<std::string> distributed_variables;
  // Variables that name a cache directory: each gets its own per-job
  // directory on node-local storage (MIOpen's kernel caches on LUMI).
  std::vector<std::string> job_cache_dirs;
  std::vector<DeprecatedModule> deprecated_modules;
  std::optional<ContainerRule> container;  // unset: mlsub cannot run images there
  SourceRef source;
  FactNotes facts;
};

/// What the site documents for checking a job's GPU use: its own energy
/// counter tool (LUMI's gpu-energy), the efficiency command its guide
/// documents (`seff {job}`), a tool that wraps the program inside the job
/// (Alps' jobreport: `site_tool`, how to use it), or nothing
/// (`none_documented`, with the page that says so). The GPU sampler follows
/// from the GPU vendor.
struct MonitoringRule {
  std::optional<std::string> energy_counter;  // run as TOOL --save / TOOL --diff
  std::string efficiency_tool;                // "{job}" is the job id; "" for none
  std::string site_tool;                      // how to run the site's in-job tool; "" for none
  bool none_documented = false;               // the site documents no tool (why: what it does say)
  std::string why;
  SourceRef source;
  FactNotes facts;
};

/// Everything mlsub knows about one system, as read from systems/NAME.yaml.
struct System {
  std::string name;
  std::string title;
  std::string site;
  std::string docs;
  std::string family;
  std::optional<Retirement> retired;
  Duration default_time;
  AccountRule account;
  GpuRequestSyntax gpu_request;
  MemoryRule memory;
  LaunchRule launch;
  Environment environment;
  std::optional<MonitoringRule> monitoring;
  std::vector<NodeType> node_types;    // non-empty; the first is the default
  std::vector<Partition> partitions;  // non-empty; in order of preference
  std::vector<SiteConstraint> constraints;  // documented -C features
  std::string file;                   // where it was read from

  const NodeType* find_node_type(std::string_view name) const;
  const Partition* find_partition(std::string_view name) const;
  // The names, in catalogue order, for messages and completion.
  std::vector<std::string> partition_names() const;
  std::vector<std::string> gpu_types() const;
};

// Parses and validates one system file. `file` names it in messages, which
// have the form "FILE:LINE:COL: what is wrong"; every problem found is
// listed, one per line. Never throws.
Expected<System> parse_system(std::string_view yaml_text, const std::string& file);

/// The systems mlsub can see: every *.yaml in an ordered list of
/// directories, where a later directory overrides an earlier one.
class Catalogue {
 public:
  // `packed`: files parsed at build time (catalogue_pack.hpp). A file whose
  // text is exactly one of them is unpacked instead of parsed; any other
  // file is parsed. Null: parse every file.
  explicit Catalogue(std::vector<std::string> dirs,
                     const std::vector<PackedSystem>* packed = nullptr);

  // Loads one system, reading only its own file. An unknown name is a usage
  // error that suggests the closest known name.
  Expected<System> load(std::string_view name) const;

  // Loads every system, sorted by name. Fails on the first invalid file.
  Expected<std::vector<System>> load_all() const;

  // Names of all systems, sorted, without reading the files.
  std::vector<std::string> names() const;

  const std::vector<std::string>& dirs() const { return m_dirs; }

 private:
  std::optional<std::string> path_of(std::string_view name) const;
  Error unknown_system(std::string_view name) const;

  Expected<System> load_file(const std::string& path, std::string_view expected_name) const;

  std::vector<std::string> m_dirs;
  const std::vector<PackedSystem>* m_packed;
};

// The default search path: `builtin_dir`, then $MLSUB_SYSTEMS_PATH
// (colon-separated), then $XDG_CONFIG_HOME/mlsub/systems (or
// ~/.config/mlsub/systems), then `extra_dirs` (from --catalogue).
std::vector<std::string> catalogue_search_path(const std::string& builtin_dir,
                                               const std::vector<std::string>& extra_dirs);

}  // namespace mlsub
