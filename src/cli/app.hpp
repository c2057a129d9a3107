#pragma once

#include <string>
#include <vector>

namespace mlsub::cli {

// Runs mlsub with the process's arguments and returns its exit code. Every
// error is printed here or below as one "mlsub: error:" line per problem.
int run(int argc, char** argv);

// The command line a script's header records: argv without the flags that
// change only what mlsub prints (--explain, --json, --validate, --check
// FILE, --verbose), so that running it again makes the same script.
std::vector<std::string> script_command_line(int argc, char** argv);

}  // namespace mlsub::cli
