#include "mlsub/account.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

namespace mlsub {
namespace {

struct Compiled {
  std::string pattern;
  bool case_insensitive = false;
  std::regex regex;
};

// The most recently used first; a handful covers every system of a
// catalogue, and a bound keeps a long fuzzing run's memory flat.
constexpr std::size_t k_cache_size = 16;

const std::regex* compiled(const AccountRule& rule, std::string& error) {
  thread_local std::vector<Compiled> cache;
  for (auto it = cache.begin(); it != cache.end(); ++it) {
    if (it->pattern == *rule.pattern && it->case_insensitive == rule.case_insensitive) {
      std::rotate(cache.begin(), it, it + 1);
      return &cache.front().regex;
    }
  }
  const auto flags = rule.case_insensitive ? std::regex::ECMAScript | std::regex::icase
                                           : std::regex::ECMAScript;
  try {
    Compiled entry{*rule.pattern, rule.case_insensitive, std::regex(*rule.pattern, flags)};
    if (cache.size() == k_cache_size) {
      cache.pop_back();
    }
    cache.insert(cache.begin(), std::move(entry));
    return &cache.front().regex;
  } catch (const std::regex_error& e) {
    error = e.what();
    return nullptr;
  }
}

}  // namespace

Expected<AccountForm> account_form(const System& system, std::string_view account) {
  if (account.size() > k_max_account) {
    return AccountForm::too_long;
  }
  if (!system.account.pattern) {
    return AccountForm::matches;
  }
  std::string error;
  const std::regex* pattern = compiled(system.account, error);
  if (pattern == nullptr) {
    return fail(ErrorKind::catalogue,
                fmt::format("{}: account.pattern '{}' is not a valid regular expression ({}); "
                            "fix it in that file",
                            system.file, *system.account.pattern, error));
  }
  return std::regex_match(account.begin(), account.end(), *pattern) ? AccountForm::matches
                                                                    : AccountForm::differs;
}

}  // namespace mlsub
