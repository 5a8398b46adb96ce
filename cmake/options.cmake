# Options a consumer or developer may set. Tests, examples and the tool are
# built, and install rules generated, only when runhooks is the top-level
# project (cmake-init's convention), so add_subdirectory(runhooks) builds just
# the library and adds nothing to the consumer's `cmake --install` unless it
# sets RUNHOOKS_INSTALL=ON.

option(RUNHOOKS_BUILD_TESTS "Build the Catch2 test suite" ${PROJECT_IS_TOP_LEVEL})
option(RUNHOOKS_BUILD_EXAMPLES "Build the examples" ${PROJECT_IS_TOP_LEVEL})
option(RUNHOOKS_BUILD_TOOLS "Build the runhooks command-line tool (needs the Boost headers)" ${PROJECT_IS_TOP_LEVEL})
option(RUNHOOKS_BUILD_BENCH "Build the benchmarks (needs Google Benchmark)" OFF)
option(RUNHOOKS_INSTALL "Generate install rules" ${PROJECT_IS_TOP_LEVEL})
option(RUNHOOKS_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)
# libFuzzer targets (tests/fuzz/): they need clang. On by default when the
# tests are built with clang (the asan-ubsan preset), so each run of the suite
# runs them briefly over their seed corpus; scripts/fuzz.sh runs them longer.
if(RUNHOOKS_BUILD_TESTS AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(RUNHOOKS_FUZZERS_DEFAULT ON)
else()
  set(RUNHOOKS_FUZZERS_DEFAULT OFF)
endif()
option(RUNHOOKS_BUILD_FUZZERS "Build the libFuzzer targets (clang only)" ${RUNHOOKS_FUZZERS_DEFAULT})

if(NOT DEFINED CMAKE_CXX_VISIBILITY_PRESET)
  set(CMAKE_CXX_VISIBILITY_PRESET hidden)
  set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
endif()

if(PROJECT_IS_TOP_LEVEL AND NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# Applied to runhooks' own targets only, never to a consumer's.
function(runhooks_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wconversion -Wsign-conversion -Wimplicit-fallthrough)
  if(RUNHOOKS_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
