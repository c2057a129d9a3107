#include "mlsub/shell.hpp"

#include <fmt/format.h>

namespace mlsub {
namespace {

// Characters that need no quoting anywhere in a word, as a table: every
// value in a script passes through here.
struct SafeTable {
  bool safe[256] = {};
  constexpr SafeTable() {
    for (int c = 'a'; c <= 'z'; ++c) safe[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) safe[c] = true;
    for (int c = '0'; c <= '9'; ++c) safe[c] = true;
    for (const char c : std::string_view("@%+=:,./_-")) safe[static_cast<unsigned char>(c)] = true;
  }
};
constexpr SafeTable k_safe;

bool is_safe(unsigned char c) { return k_safe.safe[c]; }

bool needs_ansi_c(unsigned char c) { return c < 0x20 || c >= 0x7f; }

}  // namespace

bool has_control_char(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

bool is_sbatch_safe(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

std::string shell_quote(std::string_view text) {
  // A leading "~/" is a tilde the reader (and shellcheck, SC2088) expects to
  // expand; escaped outside the quotes it plainly does not.
  if (text.substr(0, 2) == "~/") {
    return "\\~" + shell_quote(text.substr(1));
  }
  std::size_t plain = 0;
  while (plain < text.size() && is_safe(static_cast<unsigned char>(text[plain]))) {
    ++plain;
  }
  // A leading "=" is valid bash (`export X==`), but shellcheck takes it for
  // a mistyped comparison (SC1097, SC2283): quote it.
  if (!text.empty() && plain == text.size() && text.front() != '=') {
    return std::string(text);
  }
  bool ansi = false;
  for (const char ch : text.substr(plain)) {
    ansi = ansi || needs_ansi_c(static_cast<unsigned char>(ch));
  }
  std::string out;
  out.reserve(text.size() + 8);
  const bool expands = text.find_first_of("$`\\") != std::string_view::npos;
  if (!ansi && expands) {
    // Double quotes with every special character escaped: the same value as
    // single quotes, but readers (and shellcheck) see that nothing expands;
    // and sbatch, which takes a backslash as an escape even inside single
    // quotes, reads an #SBATCH value with a backslash the way bash does.
    out += '"';
    for (const char c : text) {
      if (c == '"' || c == '\\' || c == '$' || c == '`') {
        out += '\\';
      }
      out += c;
    }
    out += '"';
    return out;
  }
  if (!ansi) {
    // Inside single quotes nothing is special except the quote itself,
    // which is closed, escaped and reopened.
    out += '\'';
    for (const char c : text) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
    return out;
  }
  // Bash's $'...' keeps every byte on one line: newlines, tabs and bytes that
  // are not ASCII become escapes, and the value arrives byte for byte.
  out += "$'";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (needs_ansi_c(c)) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '\'';
  return out;
}

std::string shell_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) {
      out += ' ';
    }
    out += shell_quote(w);
  }
  return out;
}

}  // namespace mlsub
