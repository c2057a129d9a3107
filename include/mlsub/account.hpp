#pragma once

// Whether an account has the form a site's catalogue gives it
// (AccountRule::pattern), shared by the planner and `mlsub check`.

#include <string_view>

#include "mlsub/catalogue.hpp"
#include "mlsub/error.hpp"

namespace mlsub {

enum class AccountForm {
  matches,   // the pattern matches it whole, or the site has no pattern
  differs,   // the pattern does not match it
  too_long,  // longer than k_max_account: not tried (see below)
};

// libstdc++'s std::regex matches by recursion, one level per character: a
// long enough account would overflow the stack. No site's project name
// comes near this.
constexpr std::size_t k_max_account = 256;

// Compiles the pattern on first use and keeps the last few compiled
// patterns (per thread): compiling one costs far more than matching, and
// `mlsub check` asks once per script and system. An invalid pattern is a
// catalogue error naming the system's file.
Expected<AccountForm> account_form(const System& system, std::string_view account);

}  // namespace mlsub
