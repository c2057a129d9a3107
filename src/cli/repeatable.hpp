#pragma once

#include <CLI/CLI.hpp>

namespace mlsub::cli {

// A flag given once per value (--module a --module b): it takes one word
// each time, never the words after it (those stay the program and its
// arguments), and keeps every value, in order.
inline CLI::Option* repeatable(CLI::Option* opt) {
  return opt->expected(1)->allow_extra_args(false)->multi_option_policy(
      CLI::MultiOptionPolicy::TakeAll);
}

}  // namespace mlsub::cli
