#pragma once

#include <string>
#include <tl/expected.hpp>

namespace mlsub {

/// What kind of failure an Error is; the CLI maps each kind to an exit code.
enum class ErrorKind {
  usage,      // the request itself is malformed (bad flag value, unknown system)
  rejected,   // the request is well formed but the system cannot give it
  catalogue,  // a systems/*.yaml file is invalid
  render,     // a template is broken or asks for a value the plan lacks
  slurm,      // a Slurm command failed
  io,         // a file could not be read or written
  config,     // a config file (config.yaml, .mlsub.yaml) is invalid or holds an invalid value
};

/// An error as a value: which stage failed and one sentence that names the
/// cause and the fix. Stages return it; only the CLI prints it.
struct Error {
  ErrorKind kind;
  std::string message;
  // The failed operation may still have taken effect (a command that hung
  // or answered garbage): retrying blindly could do it twice.
  bool unclear = false;
};

template <typename T>
using Expected = tl::expected<T, Error>;

// Shorthand for `return fail(ErrorKind::usage, "...")` in functions that
// return Expected<T> for any T.
inline tl::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error{kind, std::move(message)});
}

}  // namespace mlsub
