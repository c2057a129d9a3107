#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlsub {

// The one place where mlsub quotes text for bash. Returns `text` unchanged
// when every byte is in the safe set [A-Za-z0-9@%+=:,./_-] (as Python's
// shlex.quote), single-quoted when it holds other printable characters, and
// as $'...' with escapes when it holds control characters or bytes >= 0x80,
// so that a quoted word never spans two lines of a script. NUL cannot be
// represented in bash; callers reject it before (see has_nul).
//
// Example: shell_quote("it's") == "'it'\\''s'"
std::string shell_quote(std::string_view text);

// shell_quote of each word, joined by single spaces.
std::string shell_join(const std::vector<std::string>& words);

// True when `text` holds a byte below 0x20 or 0x7f: such a value must not go
// into an #SBATCH line, where a newline would start a new directive.
bool has_control_char(std::string_view text);

}  // namespace mlsub
