#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlsub {

// The candidate closest to `word` by edit distance, if it is close enough to
// be a plausible typo (distance <= max(1, size/3)).
//
// Example: closest_match("lumii", {"lumi", "mahti"}) == "lumi"
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// " did you mean 'X'?" or "" when nothing is close; for the end of a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mlsub
