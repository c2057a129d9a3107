// A System as flat bytes and back, for the catalogue compiled into the
// binary (see catalogue_pack.hpp).
//
// One field list per struct (fields() below) drives both directions, so the
// writer and the reader cannot disagree on the order. Numbers are 8 bytes,
// little-endian whatever the host; strings and lists carry their length.
// A field missing from fields() would be lost silently. Three things guard
// against that: the sizes below, which change when a field is added; the
// unit test that compares every built-in system unpacked with the same file
// parsed (through to_json); and the golden scripts, which the CLI renders
// from the packed systems.

#include "mlsub/catalogue_pack.hpp"

#include <cstdint>
#include <type_traits>

namespace mlsub {
namespace {

template <class Io>
void fields(Io& io, SourceRef& v) {
  io(v.url, v.checked);
}

template <class Io>
void fields(Io& io, FactNote& v) {
  io(v.field, v.assumed, v.source);
}

template <class Io>
void fields(Io& io, FactNotes& v) {
  io(v.notes);
}

template <class Io>
void fields(Io& io, SiteConstraint& v) {
  io(v.name, v.meaning, v.source);
}

template <class Io>
void fields(Io& io, NodeType& v) {
  io(v.name, v.gpu_type, v.gpu_model, v.gpu_vendor, v.gpu_memory, v.gpus, v.cores, v.memory,
     v.cpus_per_gpu, v.count, v.why_cpus, v.local_disk_gres, v.local_disk_max,
     v.local_disk_variable, v.local_disk_size, v.local_disk_advice, v.max_per_job,
     v.memory_per_gpu, v.multi_node_advice, v.source, v.facts);
}

template <class Io>
void fields(Io& io, Partition& v) {
  io(v.name, v.max_time, v.max_nodes, v.min_nodes, v.max_gpus, v.min_gpus, v.max_cpus,
     v.max_node_minutes, v.whole_node, v.is_default, v.memory, v.node_types, v.auto_select,
     v.auto_max_time, v.max_jobs_per_user, v.max_running_per_user, v.why, v.note, v.source,
     v.facts);
}

template <class Io>
void fields(Io& io, Retirement& v) {
  io(v.date, v.successor, v.note, v.source);
}

template <class Io>
void fields(Io& io, AccountRule& v) {
  io(v.pattern, v.case_insensitive, v.required, v.placeholder, v.why, v.source, v.facts);
}

template <class Io>
void fields(Io& io, GpuRequestSyntax& v) {
  io(v.option, v.format, v.why, v.all_gpus_without_request, v.source, v.facts);
}

template <class Io>
void fields(Io& io, MemoryRule& v) {
  io(v.policy, v.per_gpu, v.why, v.source, v.facts);
}

template <class Io>
void fields(Io& io, LaunchRule& v) {
  io(v.multi_gpu, v.why, v.source, v.cpu_bind, v.binding_why, v.rendezvous_host_variable,
     v.rendezvous_port_variable, v.rendezvous_source, v.facts);
}

template <class Io>
void fields(Io& io, ContainerRule& v) {
  io(v.runtime, v.arch, v.verb, v.flags, v.image, v.image_why, v.modules, v.modules_why, v.source);
}

template <class Io>
void fields(Io& io, DeprecatedModule& v) {
  io(v.prefix, v.warning);
}

template <class Io>
void fields(Io& io, UenvRule& v) {
  io(v.view, v.variables, v.job_variables, v.job_variables_source, v.source);
}

template <class Io>
void fields(Io& io, Environment& v) {
  io(v.uenv, v.container_engine, v.container_engine_arch, v.container_engine_srun_options,
     v.container_engine_why, v.why, v.no_default, v.module_use, v.modules,
     v.distributed_variables, v.job_cache_dirs, v.deprecated_modules, v.container, v.source,
     v.facts);
}

template <class Io>
void fields(Io& io, MonitoringRule& v) {
  io(v.energy_counter, v.efficiency_tool, v.site_tool, v.none_documented, v.why, v.source,
     v.facts);
}

template <class Io>
void fields(Io& io, System& v) {
  // Not `file`: that is where this copy was read from, set by the loader.
  io(v.name, v.title, v.site, v.docs, v.family, v.retired, v.default_time, v.account,
     v.gpu_request, v.memory, v.launch, v.environment, v.monitoring, v.node_types, v.partitions,
     v.constraints);
}

// Added a field to a catalogue struct? Add it to its fields() above, then
// update the size here. (The sizes are those of 64-bit libstdc++, the
// platform the project builds on; elsewhere the check is skipped.)
#if defined(__GLIBCXX__) && defined(__LP64__)
static_assert(sizeof(SourceRef) == 64 && sizeof(FactNote) == 128 && sizeof(FactNotes) == 24 &&
                  sizeof(SiteConstraint) == 128 && sizeof(NodeType) == 448 &&
                  sizeof(Partition) == 304 && sizeof(Retirement) == 160 &&
                  sizeof(AccountRule) == 200 && sizeof(GpuRequestSyntax) == 192 &&
                  sizeof(MemoryRule) == 144 && sizeof(LaunchRule) == 352 &&
                  sizeof(ContainerRule) == 312 && sizeof(DeprecatedModule) == 64 &&
                  sizeof(UenvRule) == 216 && sizeof(Environment) == 976 &&
                  sizeof(MonitoringRule) == 232 && sizeof(System) == 2544,
              "a catalogue struct changed: bring its fields() list up to date, then the sizes");
#endif

template <class T>
struct is_optional : std::false_type {};

template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

class Writer {
 public:
  template <class... T>
  void operator()(T&... values) {
    (put(values), ...);
  }
  std::string take() { return std::move(m_bytes); }

 private:
  void put_u64(std::uint64_t n) {
    for (int i = 0; i < 8; ++i) {
      m_bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    }
  }

  template <class T>
  void put(T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      put_u64(v.size());
      m_bytes += v;
    } else if constexpr (std::is_integral_v<T>) {  // bool too
      put_u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
    } else if constexpr (std::is_enum_v<T>) {
      put_u64(static_cast<std::uint64_t>(v));
    } else if constexpr (std::is_same_v<T, Duration>) {
      put(v.seconds);
    } else if constexpr (std::is_same_v<T, Size>) {
      put(v.mib);
    } else if constexpr (is_optional<T>::value) {
      put_u64(v.has_value() ? 1 : 0);
      if (v) {
        put(*v);
      }
    } else if constexpr (is_vector<T>::value) {
      put_u64(v.size());
      for (auto& item : v) {
        put(item);
      }
    } else {
      fields(*this, v);
    }
  }

  std::string m_bytes;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : m_rest(bytes) {}

  template <class... T>
  void operator()(T&... values) {
    (get(values), ...);
  }
  // True when every read found its bytes and nothing is left over.
  bool complete() const { return m_ok && m_rest.empty(); }

 private:
  std::uint64_t get_u64() {
    if (m_rest.size() < 8) {
      m_ok = false;
      m_rest = {};
      return 0;
    }
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      n |= static_cast<std::uint64_t>(static_cast<unsigned char>(m_rest[i])) << (8 * i);
    }
    m_rest.remove_prefix(8);
    return n;
  }

  // A length that the remaining bytes can hold (each item takes at least
  // one byte), so that a corrupt length cannot make a huge allocation.
  std::size_t get_length() {
    const std::uint64_t n = get_u64();
    if (n > m_rest.size()) {
      m_ok = false;
      m_rest = {};
      return 0;
    }
    return static_cast<std::size_t>(n);
  }

  template <class T>
  void get(T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      const std::size_t n = get_length();
      v.assign(m_rest.substr(0, n));
      m_rest.remove_prefix(n);
    } else if constexpr (std::is_same_v<T, bool>) {
      v = get_u64() != 0;
    } else if constexpr (std::is_integral_v<T>) {
      v = static_cast<T>(static_cast<std::int64_t>(get_u64()));
    } else if constexpr (std::is_enum_v<T>) {
      v = static_cast<T>(get_u64());
    } else if constexpr (std::is_same_v<T, Duration>) {
      get(v.seconds);
    } else if constexpr (std::is_same_v<T, Size>) {
      get(v.mib);
    } else if constexpr (is_optional<T>::value) {
      if (get_u64() != 0) {
        get(v.emplace());
      } else {
        v.reset();
      }
    } else if constexpr (is_vector<T>::value) {
      const std::size_t n = get_length();
      v.resize(n);
      for (auto& item : v) {
        get(item);
      }
    } else {
      fields(*this, v);
    }
  }

  std::string_view m_rest;
  bool m_ok = true;
};

}  // namespace

std::string pack_system(const System& system) {
  System copy = system;  // fields() takes its argument by reference for both directions
  Writer writer;
  fields(writer, copy);
  return writer.take();
}

std::optional<System> unpack_system(std::string_view bytes) {
  System system;
  Reader reader(bytes);
  fields(reader, system);
  if (!reader.complete()) {
    return std::nullopt;
  }
  return system;
}

}  // namespace mlsub
