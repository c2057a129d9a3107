#include "mlsub/account.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

namespace mlsub {

Expected<AccountForm> account_form(const System& system, std::string_view account) {
  if (!system.account.pattern) {
    return AccountForm::matches;
  }
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!system.account.case_insensitive);
  const RE2 pattern(*system.account.pattern, options);
  if (!pattern.ok()) {
    return fail(ErrorKind::catalogue,
                fmt::format("{}: account.pattern '{}' is not a regular expression mlsub can use "
                            "({}); patterns are RE2 syntax, without lookaround ((?=, (?!) or "
                            "backreferences (\\1): fix it in that file",
                            system.file, *system.account.pattern, pattern.error()));
  }
  return RE2::FullMatch(re2::StringPiece(account.data(), account.size()), pattern)
             ? AccountForm::matches
             : AccountForm::differs;
}

}  // namespace mlsub
