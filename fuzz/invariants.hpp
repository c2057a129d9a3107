#pragma once

// What every script mlsub renders must satisfy, whatever the input: checked
// by the fuzz targets, which abort (a crash libFuzzer reports) on the first
// violation.
//
//   * shell_quote(v) is one line of printable ASCII that bash reads back as
//     exactly v (decode_shell_word below is a small bash-word reader for
//     the forms shell_quote writes);
//   * the script is printable ASCII and newlines only (no NUL, no control
//     byte, no render sentinel);
//   * its #SBATCH lines are exactly the plan's directives, in order, each
//     rendered as `#SBATCH --OPTION=VALUE` with both parts shell-quoted, and
//     all of them before the first command (where sbatch stops reading
//     directives). A value that smuggled a newline into the script would add
//     a line here and fail this check;
//   * sbatch, parsing each #SBATCH line its own way, reads back exactly
//     --OPTION=VALUE.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/plan.hpp"
#include "mlsub/shell.hpp"

namespace mlsub::fuzz {

[[noreturn]] inline void violated(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s\n", what);
  if (!detail.empty()) {
    std::fprintf(stderr, "---\n%.*s\n---\n", static_cast<int>(detail.size()), detail.data());
  }
  std::abort();
}

inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Reads one bash word made of unquoted safe characters, '...', "..." and
// $'...' parts, the way bash would; nullopt for anything else (an unquoted
// special character, an unterminated quote, an escape bash would read
// differently).
inline std::optional<std::string> decode_shell_word(std::string_view w) {
  std::string out;
  std::size_t i = 0;
  const std::string_view safe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-";
  while (i < w.size()) {
    const char c = w[i];
    if (c == '\'') {
      const auto end = w.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return std::nullopt;
      }
      out.append(w.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '\\' && i + 1 < w.size() && (w[i + 1] == '\'' || w[i + 1] == '~')) {
      out += w[i + 1];  // the '\'' idiom, and \~ for a leading tilde
      i += 2;
    } else if (c == '"') {
      ++i;
      for (;;) {
        if (i >= w.size()) {
          return std::nullopt;
        }
        const char d = w[i];
        if (d == '"') {
          ++i;
          break;
        }
        if (d == '$' || d == '`') {
          return std::nullopt;  // would expand
        }
        if (d == '\\' && i + 1 < w.size() &&
            std::string_view("\"\\$`").find(w[i + 1]) != std::string_view::npos) {
          out += w[i + 1];
          i += 2;
          continue;
        }
        if (d == '\\') {
          return std::nullopt;  // not a form shell_quote writes
        }
        out += d;
        ++i;
      }
    } else if (c == '$' && i + 1 < w.size() && w[i + 1] == '\'') {
      i += 2;
      for (;;) {
        if (i >= w.size()) {
          return std::nullopt;
        }
        const char d = w[i];
        if (d == '\'') {
          ++i;
          break;
        }
        if (d != '\\') {
          out += d;
          ++i;
          continue;
        }
        if (i + 1 >= w.size()) {
          return std::nullopt;
        }
        const char e = w[i + 1];
        i += 2;
        switch (e) {
          case '\\': out += '\\'; break;
          case '\'': out += '\''; break;
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'x': {
            // Bash reads one or two hex digits; shell_quote always writes two.
            if (i + 1 >= w.size() || hex_digit(w[i]) < 0 || hex_digit(w[i + 1]) < 0) {
              return std::nullopt;
            }
            const int v = hex_digit(w[i]) * 16 + hex_digit(w[i + 1]);
            if (v == 0) {
              return std::nullopt;  // bash would end the string here
            }
            out += static_cast<char>(v);
            i += 2;
            break;
          }
          default:
            return std::nullopt;
        }
      }
    } else if (safe.find(c) != std::string_view::npos) {
      out += c;
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

inline bool printable_ascii(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

// shell_quote(value) is one printable line that reads back as `value`.
// Values with NUL cannot be quoted (bash has no NUL); callers reject them,
// so they are skipped here.
inline void check_quote(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    return;
  }
  const std::string q = shell_quote(value);
  if (!printable_ascii(q)) {
    violated("shell_quote wrote a byte that is not printable ASCII", q);
  }
  const auto back = decode_shell_word(q);
  if (!back) {
    violated("shell_quote wrote something that is not one quoted bash word", q);
  }
  if (*back != value) {
    violated("shell_quote's word does not read back as the value", q);
  }
}

// The words sbatch reads from the rest of an #SBATCH line (Slurm's
// _get_argument in src/sbatch/opt.c): a backslash takes the next byte as it
// is, even inside quotes; ' and " quote until the same quote; an unquoted #
// ends the line; nullopt for an unmatched quote (sbatch stops with an error).
inline std::optional<std::vector<std::string>> sbatch_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  const auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  for (;;) {
    while (i < line.size() && space(line[i])) {
      ++i;
    }
    if (i >= line.size()) {
      return words;
    }
    std::string word;
    char quote = 0;
    while (i < line.size() && (quote != 0 || !space(line[i]))) {
      const char c = line[i];
      if (c == '\\' && i + 1 < line.size()) {
        word += line[i + 1];
        i += 2;
        continue;
      }
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
          ++i;
          continue;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        ++i;
        continue;
      } else if (c == '#') {
        if (!word.empty()) {
          words.push_back(word);
        }
        return words;
      }
      word += c;
      ++i;
    }
    if (quote != 0) {
      return std::nullopt;
    }
    words.push_back(word);
  }
}

inline std::string directive_line(const Directive& d) {
  std::string line = "#SBATCH --" + shell_quote(d.option);
  if (!d.value.empty()) {
    line += "=" + shell_quote(d.value);
  }
  return line;
}

inline void check_script(const Plan& plan, const std::string& script) {
  if (script.rfind("#!/bin/bash\n", 0) != 0) {
    violated("the script does not start with #!/bin/bash", script);
  }
  const auto expected = plan.directives();
  std::size_t seen = 0;
  bool commands_started = false;
  std::size_t start = 0;
  while (start < script.size()) {
    auto end = script.find('\n', start);
    if (end == std::string::npos) {
      end = script.size();
    }
    const std::string_view line(script.data() + start, end - start);
    if (!printable_ascii(line)) {
      violated("the script holds a control byte, NUL or non-ASCII byte", script);
    }
    if (line.rfind("#SBATCH", 0) == 0) {
      if (commands_started) {
        violated("an #SBATCH line after the first command", script);
      }
      if (seen >= expected.size() || line != directive_line(expected[seen])) {
        violated("an #SBATCH line that is not the plan's next directive", script);
      }
      const Directive& d = expected[seen];
      const auto words = sbatch_words(line.substr(7));
      const std::string want = "--" + d.option + (d.value.empty() ? "" : "=" + d.value);
      if (!words || words->size() != 1 || words->front() != want) {
        violated("sbatch would not read the directive's value byte for byte", line);
      }
      ++seen;
    } else if (!line.empty() && line.front() != '#') {
      commands_started = true;
    }
    start = end + 1;
  }
  if (seen != expected.size()) {
    violated("the script lacks some of the plan's directives", script);
  }
}

}  // namespace mlsub::fuzz
