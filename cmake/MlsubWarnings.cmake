# mlsub_warnings: an INTERFACE target that project code links PRIVATE, so
# our warning flags never leak to users of the library or to dependencies.
add_library(mlsub_warnings INTERFACE)
target_compile_options(mlsub_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(MLSUB_WERROR)
  target_compile_options(mlsub_warnings INTERFACE -Werror)
endif()
# GCC 12 reports -Wmaybe-uninitialized inside libstdc++'s <regex> when
# compiled with -fsanitize=address (a false positive of GCC's flow analysis
# under sanitizers, not about our code), so it stays a warning there.
if(MLSUB_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(mlsub_warnings INTERFACE -Wno-error=maybe-uninitialized)
endif()
