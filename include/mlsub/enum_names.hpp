#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlsub {

/// One name table per enum: the catalogue, JSON, messages and help read and
/// write an enum's names from the same list, so a new value is named once.
///
/// Example:
///   inline constexpr EnumNames<Color, 2> k_color_names{{{Color::red, "red"},
///                                                       {Color::blue, "blue"}}};
///   name_of(k_color_names, Color::blue) == "blue"
///   value_of(k_color_names, "red") == Color::red
template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

template <typename E, std::size_t N>
using EnumNames = std::array<EnumName<E>, N>;

// The value's name; a table that names every value never falls through.
template <typename E, std::size_t N>
constexpr std::string_view name_of(const EnumNames<E, N>& names, E value) {
  for (const auto& n : names) {
    if (n.value == value) {
      return n.name;
    }
  }
  return names.front().name;
}

template <typename E, std::size_t N>
constexpr std::optional<E> value_of(const EnumNames<E, N>& names, std::string_view name) {
  for (const auto& n : names) {
    if (n.name == name) {
      return n.value;
    }
  }
  return std::nullopt;
}

// Every name, in the table's order.
template <typename E, std::size_t N>
std::vector<std::string> all_names(const EnumNames<E, N>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    out.emplace_back(n.name);
  }
  return out;
}

}  // namespace mlsub
