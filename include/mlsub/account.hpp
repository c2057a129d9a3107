#pragma once

// Whether an account has the form a site's catalogue gives it
// (AccountRule::pattern), shared by the planner and `mlsub check`.

#include <string_view>

#include "mlsub/catalogue.hpp"
#include "mlsub/error.hpp"

namespace mlsub {

enum class AccountForm {
  matches,  // the pattern matches it whole, or the site has no pattern
  differs,  // the pattern does not match it
};

// Matches with RE2: linear in the account's length, without recursion, so
// any account can be tried. Patterns come from user catalogues too; RE2
// has no lookaround or backreferences, and a pattern that uses them (or
// is otherwise invalid) is a catalogue error naming the system's file and
// the pattern.
//
// Example: account_form(lumi, "project_465000123") == AccountForm::matches
Expected<AccountForm> account_form(const System& system, std::string_view account);

}  // namespace mlsub
