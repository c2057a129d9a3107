# mlsub_sanitizers: ASan + UBSan when MLSUB_SANITIZE=ON, nothing otherwise.
# MLSUB_FUZZ adds libFuzzer's coverage instrumentation (fuzzer-no-link); the
# targets in fuzz/ link the fuzzer itself.
add_library(mlsub_sanitizers INTERFACE)
if(MLSUB_FUZZ)
  set(_mlsub_san -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  target_compile_options(mlsub_sanitizers INTERFACE ${_mlsub_san})
  target_link_options(mlsub_sanitizers INTERFACE ${_mlsub_san})
elseif(MLSUB_SANITIZE)
  set(_mlsub_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(mlsub_sanitizers INTERFACE ${_mlsub_san})
  target_link_options(mlsub_sanitizers INTERFACE ${_mlsub_san})
endif()
