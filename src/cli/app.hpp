#pragma once

namespace mlsub::cli {

// Runs mlsub with the process's arguments and returns its exit code. Every
// error is printed here or below as one "mlsub: error:" line per problem.
int run(int argc, char** argv);

}  // namespace mlsub::cli
