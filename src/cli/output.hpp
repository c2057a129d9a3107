#pragma once

// Everything the CLI prints on stderr goes through here, so each message
// has the same "mlsub: <level>: " shape and one line per problem.

#include <string>

#include "mlsub/error.hpp"

namespace mlsub::cli {

void print_error(const Error& error);
void print_error(const std::string& message);
void print_warning(const std::string& message);
// "mlsub: MESSAGE" on stderr: what happened, for a person watching.
void print_note(const std::string& message);

// Turns on debug logging to stderr (for --verbose); off by default.
void init_logging(bool verbose);

}  // namespace mlsub::cli
