# Every dependency is a Debian 12 package, found here and nowhere else.
# apt-get install libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev
#   libspdlog-dev libkainjow-mustache-dev libexpected-dev catch2 libre2-dev
#   libhowardhinnant-date-dev
find_package(CLI11 2.1 REQUIRED CONFIG)
find_package(nlohmann_json 3.10 REQUIRED CONFIG)
find_package(yaml-cpp 0.7 REQUIRED CONFIG)
find_package(fmt 9 REQUIRED CONFIG)
find_package(spdlog 1.10 REQUIRED CONFIG)
find_package(tl-expected 1.0 QUIET CONFIG)

find_path(KAINJOW_MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp REQUIRED)
add_library(mlsub_kainjow INTERFACE)
# SYSTEM: the header trips -Wshadow, which is not ours to fix.
target_include_directories(mlsub_kainjow SYSTEM INTERFACE ${KAINJOW_MUSTACHE_INCLUDE_DIR})

# Howard Hinnant's date, header only (no time zones): the GPU samples'
# timestamps.
find_path(HINNANT_DATE_INCLUDE_DIR date/date.h REQUIRED)
add_library(mlsub_date INTERFACE)
target_include_directories(mlsub_date SYSTEM INTERFACE ${HINNANT_DATE_INCLUDE_DIR})

# RE2: catalogue account patterns (user catalogues too), matched in linear
# time without recursion.
find_path(RE2_INCLUDE_DIR re2/re2.h REQUIRED)
if(MLSUB_STATIC)
  find_library(RE2_LIBRARY NAMES libre2.a REQUIRED)
else()
  find_library(RE2_LIBRARY NAMES re2 REQUIRED)
endif()
find_package(Threads REQUIRED)
add_library(mlsub_re2 INTERFACE)
target_include_directories(mlsub_re2 SYSTEM INTERFACE ${RE2_INCLUDE_DIR})
target_link_libraries(mlsub_re2 INTERFACE ${RE2_LIBRARY} Threads::Threads)

find_path(TL_EXPECTED_INCLUDE_DIR tl/expected.hpp REQUIRED)
add_library(mlsub_expected INTERFACE)
target_include_directories(mlsub_expected SYSTEM INTERFACE ${TL_EXPECTED_INCLUDE_DIR})

# Debian ships yaml-cpp both shared and static; fmt and spdlog only shared,
# but both work header-only. A static mlsub uses libyaml-cpp.a and the
# header-only forms, so nothing is loaded at start-up.
if(MLSUB_STATIC)
  find_library(MLSUB_YAML_CPP_STATIC NAMES libyaml-cpp.a REQUIRED)
  add_library(mlsub_yaml INTERFACE)
  target_link_libraries(mlsub_yaml INTERFACE ${MLSUB_YAML_CPP_STATIC})
  target_include_directories(mlsub_yaml SYSTEM INTERFACE ${YAML_CPP_INCLUDE_DIR})
  add_library(mlsub_fmt INTERFACE)
  target_link_libraries(mlsub_fmt INTERFACE fmt::fmt-header-only)
  add_library(mlsub_spdlog INTERFACE)
  target_compile_definitions(mlsub_spdlog INTERFACE SPDLOG_FMT_EXTERNAL SPDLOG_HEADER_ONLY)
  target_link_libraries(mlsub_spdlog INTERFACE fmt::fmt-header-only)
else()
  add_library(mlsub_yaml INTERFACE)
  target_link_libraries(mlsub_yaml INTERFACE yaml-cpp)
  add_library(mlsub_fmt INTERFACE)
  target_link_libraries(mlsub_fmt INTERFACE fmt::fmt)
  add_library(mlsub_spdlog INTERFACE)
  target_link_libraries(mlsub_spdlog INTERFACE spdlog::spdlog)
endif()
