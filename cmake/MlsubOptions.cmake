# Build options, in one place.
option(MLSUB_BUILD_TESTS "Build the unit tests and register every test with CTest" ON)
option(MLSUB_BUILD_BENCH "Build the in-process benchmark" OFF)
option(MLSUB_WERROR "Treat warnings as errors (CI)" OFF)
option(MLSUB_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
# libFuzzer targets in fuzz/ (clang only; see fuzz/README.md). Instruments
# everything with the fuzzer's coverage, ASan and UBSan.
option(MLSUB_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)
# A static binary starts about twice as fast as one that loads yaml-cpp, fmt
# and libstdc++ at run time (see bench/README.md); sanitizers need dynamic
# linking, so MLSUB_SANITIZE turns this off.
option(MLSUB_STATIC "Link the mlsub binary statically" ON)
if(MLSUB_SANITIZE OR MLSUB_FUZZ)
  set(MLSUB_STATIC OFF CACHE BOOL "" FORCE)
endif()
# The man page is made at build time from --help by Debian's help2man.
option(MLSUB_MAN "Build and install the man page mlsub.1 (needs help2man)" ON)
