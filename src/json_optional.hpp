#pragma once

#include <nlohmann/json.hpp>
#include <optional>

namespace mlsub {

// An optional value as JSON: the value, or null (nlohmann 3.11.2 has no
// std::optional serializer).
template <typename T>
nlohmann::json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace mlsub
