#include "output.hpp"

#include "exit_codes.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <string_view>

namespace mlsub::cli {
namespace {

void print_lines(std::string_view level, std::string_view text) {
  while (true) {
    const auto newline = text.find('\n');
    fmt::print(stderr, "mlsub: {}: {}\n", level, printable(text.substr(0, newline)));
    if (newline == std::string_view::npos) {
      break;
    }
    text.remove_prefix(newline + 1);
  }
}

}  // namespace

std::string printable(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (const char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}


void print_error(const Error& error) { print_lines("error", error.message); }
void print_error(const std::string& message) { print_lines("error", message); }
void print_warning(const std::string& message) { print_lines("warning", message); }

int fail_with(const Error& error) {
  print_error(error);
  return exit_code_for(error.kind);
}

void init_logging(bool verbose) {
  auto logger = spdlog::stderr_logger_st("mlsub");
  logger->set_pattern("mlsub: %l: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace mlsub::cli

namespace mlsub::cli {

void print_note(const std::string& message) { fmt::print(stderr, "mlsub: {}\n", message); }

}  // namespace mlsub::cli
