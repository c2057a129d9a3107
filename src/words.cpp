#include "mlsub/words.hpp"

#include <cctype>
#include <fmt/format.h>

namespace mlsub {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_upper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }

// A number is spoken "an" when it starts with "eight", "eleven" or
// "eighteen": 8, 80-89, 800..., 11, 18, 11000, 18000, ...
bool number_takes_an(std::string_view digits) {
  if (digits.empty()) {
    return false;
  }
  if (digits[0] == '8') {
    return true;
  }
  return digits.size() % 3 == 2 && digits[0] == '1' && (digits[1] == '1' || digits[1] == '8');
}

}  // namespace

std::string noun(long long n, std::string_view word) {
  return n == 1 ? std::string(word) : std::string(word) + "s";
}

std::string plural(long long n, std::string_view word) {
  return fmt::format("{} {}", n, noun(n, word));
}

std::string plural(long long n, std::string_view word, std::string_view plural_form) {
  return fmt::format("{} {}", n, n == 1 ? word : plural_form);
}

std::string_view article(std::string_view word) {
  if (word.empty()) {
    return "a";
  }
  if (is_digit(word[0])) {
    std::size_t end = 0;
    while (end < word.size() && is_digit(word[end])) {
      ++end;
    }
    return number_takes_an(word.substr(0, end)) ? "an" : "a";
  }
  // A name spelt letter by letter (A100, MI250x, GH200, T4): the first
  // letter's name decides (ay, em, ef, ...).
  if (is_upper(word[0]) && word.size() > 1 && (is_upper(word[1]) || is_digit(word[1]))) {
    return std::string_view("AEFHILMNORSX").find(word[0]) != std::string_view::npos ? "an" : "a";
  }
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(word[0])));
  if (c == 'u') {  // "a uenv", "a user", but "an unknown"
    const bool you = word.size() > 1 && (word.substr(1, 2) == "se" || word.substr(1, 2) == "en" ||
                                         word.substr(1, 2) == "ni" || word.substr(1, 2) == "sa");
    return you ? "a" : "an";
  }
  return std::string_view("aeio").find(c) != std::string_view::npos ? "an" : "a";
}

std::string with_article(std::string_view word) {
  return fmt::format("{} {}", article(word), word);
}

}  // namespace mlsub
