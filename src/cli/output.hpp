#pragma once

// Everything the CLI prints on stderr goes through here, so each message
// has the same "mlsub: <level>: " shape and one line per problem.

#include <string>
#include <string_view>

#include "mlsub/error.hpp"

namespace mlsub::cli {

void print_error(const Error& error);
void print_error(const std::string& message);
void print_warning(const std::string& message);
// Prints the error and returns its exit code (exit_codes.hpp): the ending
// of every command that fails.
int fail_with(const Error& error);

// "mlsub: MESSAGE" on stderr: what happened, for a person watching.
void print_note(const std::string& message);

// Turns on debug logging to stderr (for --verbose); off by default.
void init_logging(bool verbose);

// `line` with each control character (an escape sequence, a carriage return,
// a newline) written as \xHH, for messages that quote what the user typed.
std::string printable(std::string_view line);

}  // namespace mlsub::cli
