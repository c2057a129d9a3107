#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlsub/error.hpp"

namespace mlsub {

// The one place where mlsub quotes text for bash. Returns `text` unchanged
// when every byte is in the safe set [A-Za-z0-9@%+=:,./_-] (as Python's
// shlex.quote), single-quoted when it holds other printable characters,
// double-quoted with \ before " \ $ ` when it holds $, ` or a backslash,
// and as $'...' with escapes when it holds control characters or bytes
// >= 0x80, so that a quoted word never spans two lines of a script. NUL
// cannot be represented in bash; callers reject it before. A leading "~/"
// is written \~ (so it plainly does not expand), and a leading "=" is
// quoted: bash needs neither, shellcheck warns about both.
//
// The printable forms also read back the same in #SBATCH lines, which sbatch
// parses with its own rules (a backslash escapes the next byte even inside
// single quotes, so a backslash is never put inside single quotes); the
// $'...' form does not, so directive values must be sbatch_safe.
//
// Example: shell_quote("it's") == "'it'\\''s'"
std::string shell_quote(std::string_view text);

// The words of a line that shell_join wrote, read back without a shell:
// plain words and the quoting shell_quote writes ('...', "..." with \"
// \\ \$ \` escapes, $'...' with \n \t \r \\ \' \xHH, and a leading \~).
// Anything else a shell would act on (unquoted $ ` ; | & < > ( ) and the
// like, an expansion in double quotes) is refused (usage), never run.
//
// Example: split_shell_words("plan --gpus 1 'a b'") == {"plan", "--gpus", "1", "a b"}
Expected<std::vector<std::string>> split_shell_words(std::string_view line);

// shell_quote of each word, joined by single spaces.
std::string shell_join(const std::vector<std::string>& words);

// True when `text` holds a byte below 0x20 or 0x7f: such a value must not go
// into an #SBATCH line, where a newline would start a new directive.
bool has_control_char(std::string_view text);

// True when every byte of `text` is printable ASCII (0x20-0x7e): such a
// value, quoted by shell_quote, reads back the same in an #SBATCH line.
bool is_sbatch_safe(std::string_view text);

}  // namespace mlsub
