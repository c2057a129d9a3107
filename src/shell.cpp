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

namespace mlsub {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Expected<std::vector<std::string>> split_shell_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  const auto bad = [&](std::string_view what) {
    return fail(ErrorKind::usage,
                fmt::format("{} at character {}: only plain words and the quoting mlsub writes "
                            "('...', \"...\", $'...') are read",
                            what, i + 1));
  };
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    if (i >= line.size()) {
      break;
    }
    std::string word;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      const char c = line[i];
      if (c == '\'') {
        const auto end = line.find('\'', i + 1);
        if (end == std::string_view::npos) {
          return bad("an unclosed single quote");
        }
        word.append(line.substr(i + 1, end - i - 1));
        i = end + 1;
      } else if (c == '"') {
        ++i;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size() &&
              std::string_view("\"\\$`").find(line[i + 1]) != std::string_view::npos) {
            ++i;
          } else if (line[i] == '$' || line[i] == '`') {
            return bad("an expansion inside double quotes");
          }
          word += line[i++];
        }
        if (i >= line.size()) {
          return bad("an unclosed double quote");
        }
        ++i;
      } else if (c == '$' && i + 1 < line.size() && line[i + 1] == '\'') {
        i += 2;
        while (i < line.size() && line[i] != '\'') {
          if (line[i] != '\\') {
            word += line[i++];
            continue;
          }
          if (i + 1 >= line.size()) {
            return bad("a backslash at the end");
          }
          const char e = line[i + 1];
          i += 2;
          switch (e) {
            case 'n': word += '\n'; break;
            case 't': word += '\t'; break;
            case 'r': word += '\r'; break;
            case '\\': word += '\\'; break;
            case '\'': word += '\''; break;
            case 'x': {
              const int hi = i < line.size() ? hex_digit(line[i]) : -1;
              const int lo = i + 1 < line.size() ? hex_digit(line[i + 1]) : -1;
              if (hi < 0 || lo < 0) {
                return bad("a \\x escape without two hex digits");
              }
              word += static_cast<char>(hi * 16 + lo);
              i += 2;
              break;
            }
            default:
              return bad("an escape mlsub does not write");
          }
        }
        if (i >= line.size()) {
          return bad("an unclosed $'");
        }
        ++i;
      } else if (c == '\\' && i + 1 < line.size()) {
        word += line[i + 1];
        i += 2;
      } else if (std::string_view("$`;&|<>(){}*?[]!#\"\\").find(c) != std::string_view::npos) {
        return bad(fmt::format("shell syntax ('{}')", c));
      } else {
        word += c;
        ++i;
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace mlsub
