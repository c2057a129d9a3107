#pragma once

// The built-in catalogue, parsed at build time.
//
// Reading a system file with yaml-cpp is most of the work of a `mlsub plan`
// process (about 6.8 million of its 11 million instructions for lumi.yaml).
// So the build parses every systems/*.yaml once (tools/pack_catalogue) and
// compiles each file's exact text, with the System it parses to in a flat
// binary form, into the mlsub binary. Catalogue::load still reads the file;
// when its text is byte for byte the text that was packed, it unpacks the
// System instead of parsing the YAML again. An edited, added or user file
// is parsed as before, so the files stay the single source of truth.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/catalogue.hpp"

namespace mlsub {

/// One system file as the build saw it.
struct PackedSystem {
  std::string_view name;    // the file name without .yaml
  std::string_view yaml;    // the file's whole text
  std::string_view packed;  // pack_system() of what it parses to
};

// The System as bytes, every field but `file` (where it was read from).
std::string pack_system(const System& system);

// The System back from pack_system's bytes, or nullopt if they are cut short
// or malformed. `file` is left empty.
std::optional<System> unpack_system(std::string_view bytes);

// The systems/*.yaml files this binary was built with (generated at build
// time; empty in builds that do not link the generated file).
const std::vector<PackedSystem>& builtin_packed_systems();

}  // namespace mlsub
