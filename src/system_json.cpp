#include "mlsub/system_json.hpp"

#include "json_optional.hpp"

#include <nlohmann/json.hpp>

namespace mlsub {
namespace {

nlohmann::json source_json(const SourceRef& s) {
  return {{"url", s.url}, {"checked", s.checked}};
}

// {"field": "why it is assumed"} for the block's assumed facts.
nlohmann::json assumed_json(const FactNotes& f) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& n : f.notes) {
    if (!n.assumed.empty()) {
      out[n.field] = n.assumed;
    }
  }
  return out;
}

// {"field": {"url", "checked"}} for facts with a source of their own.
nlohmann::json fact_sources_json(const FactNotes& f) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& n : f.notes) {
    if (n.assumed.empty()) {
      out[n.field] = source_json(n.source);
    }
  }
  return out;
}


}  // namespace

nlohmann::json to_json(const System& s) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : s.node_types) {
    nodes.push_back({{"name", n.name},
                     {"gpu_type", n.gpu_type},
                     {"gpu_model", n.gpu_model},
                     {"gpu_vendor", name_of(k_gpu_vendor_names, n.gpu_vendor)},
                     {"gpu_memory", format_size(n.gpu_memory)},
                     {"gpus", n.gpus},
                     {"cores", n.cores},
                     {"memory", format_size(n.memory)},
                     {"cpus_per_gpu", n.cpus_per_gpu},
                     {"count", n.count},
                     {"local_disk",
                      n.local_disk_gres && n.local_disk_max
                          ? nlohmann::json{{"gres", *n.local_disk_gres},
                                           {"max", format_size(*n.local_disk_max)},
                                           {"variable", n.local_disk_variable}}
                          : nlohmann::json()},
                     {"local_disk_unreserved",
                      !n.local_disk_gres && !n.local_disk_variable.empty()
                          ? nlohmann::json{{"variable", n.local_disk_variable},
                                           {"size", n.local_disk_size
                                                        ? nlohmann::json(format_size(*n.local_disk_size))
                                                        : nlohmann::json()},
                                           {"advice", n.local_disk_advice}}
                          : nlohmann::json()},
                     {"max_per_job", optional_json(n.max_per_job)},
                     {"memory_per_gpu", n.memory_per_gpu
                                            ? nlohmann::json(format_size(*n.memory_per_gpu))
                                            : nlohmann::json()},
                     {"source", source_json(n.source)},
                     {"assumed", assumed_json(n.facts)},
                     {"fact_sources", fact_sources_json(n.facts)}});
  }
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& p : s.partitions) {
    partitions.push_back(
        {{"name", p.name},
         {"max_time", format_duration(p.max_time)},
         {"max_nodes", p.max_nodes},
         {"min_nodes", p.min_nodes},
         {"max_gpus", optional_json(p.max_gpus)},
         {"min_gpus", p.min_gpus},
         {"max_cpus", optional_json(p.max_cpus)},
         {"max_node_minutes", optional_json(p.max_node_minutes)},
         {"whole_node", p.whole_node},
         {"default", p.is_default},
         {"memory", p.memory ? nlohmann::json(name_of(k_memory_policy_names, *p.memory)) : nlohmann::json(nullptr)},
         {"node_types", p.node_types},
         {"auto", name_of(k_auto_select_names, p.auto_select)},
         {"auto_max_time", p.auto_max_time ? nlohmann::json(format_duration(*p.auto_max_time))
                                           : nlohmann::json(nullptr)},
         {"note", p.note},
         {"max_jobs_per_user", optional_json(p.max_jobs_per_user)},
         {"max_running_per_user", optional_json(p.max_running_per_user)},
         {"source", source_json(p.source)},
         {"assumed", assumed_json(p.facts)},
         {"fact_sources", fact_sources_json(p.facts)}});
  }
  nlohmann::json retired = nullptr;
  if (s.retired) {
    retired = {{"date", s.retired->date},
               {"successor", s.retired->successor},
               {"note", s.retired->note}};
  }
  nlohmann::json constraints = nlohmann::json::array();
  for (const auto& c : s.constraints) {
    constraints.push_back(
        {{"name", c.name}, {"meaning", c.meaning}, {"source", source_json(c.source)}});
  }
  return {{"name", s.name},
          {"title", s.title},
          {"site", s.site},
          {"docs", s.docs},
          {"family", s.family},
          {"retired", retired},
          {"default_time", format_duration(s.default_time)},
          {"account", {{"pattern", optional_json(s.account.pattern)},
                       {"required", s.account.required},
                       {"placeholder", s.account.placeholder}}},
          {"gpu_request", {{"option", s.gpu_request.option},
                           {"format", s.gpu_request.format},
                           {"all_gpus_without_request", s.gpu_request.all_gpus_without_request}}},
          {"memory", {{"policy", name_of(k_memory_policy_names, s.memory.policy)},
                      {"per_gpu", s.memory.per_gpu ? nlohmann::json(format_size(*s.memory.per_gpu))
                                                   : nlohmann::json(nullptr)},
                      {"assumed", assumed_json(s.memory.facts)}}},
          {"launch", {{"multi_gpu", std::string(launcher_name(s.launch.multi_gpu))},
                      {"rendezvous",
                       s.launch.rendezvous_host_variable && s.launch.rendezvous_port_variable
                           ? nlohmann::json{{"host_variable", *s.launch.rendezvous_host_variable},
                                            {"port_variable", *s.launch.rendezvous_port_variable}}
                           : nlohmann::json()}}},
          {"modules", s.environment.modules},
          {"container_image", optional_json(s.environment.container
                                                ? s.environment.container->image
                                                : std::optional<std::string>())},
          {"monitoring",
           s.monitoring ? nlohmann::json{{"energy_counter", optional_json(s.monitoring->energy_counter)},
                                         {"efficiency_tool", s.monitoring->efficiency_tool},
                                         {"site_tool", s.monitoring->site_tool},
                                         {"none_documented", s.monitoring->none_documented}}
                        : nlohmann::json(nullptr)},
          {"node_types", nodes},
          {"partitions", partitions},
          {"constraints", constraints},
          {"file", s.file}};
}

}  // namespace mlsub
