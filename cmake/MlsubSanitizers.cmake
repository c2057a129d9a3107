# mlsub_sanitizers: ASan + UBSan when MLSUB_SANITIZE=ON, nothing otherwise.
add_library(mlsub_sanitizers INTERFACE)
if(MLSUB_SANITIZE)
  set(_mlsub_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(mlsub_sanitizers INTERFACE ${_mlsub_san})
  target_link_options(mlsub_sanitizers INTERFACE ${_mlsub_san})
endif()
