# Installs runhooks into PREFIX (emptied first), for the package tests. Run
# with cmake -P.
#   BINARY_DIR  build tree to install from
#   PREFIX      install prefix
# With SOURCE_DIR, BINARY_DIR is first configured and built, library only:
#   CXX_COMPILER, SHARED (ON, the default, or OFF), WITH_POSTGRES (optional:
#   RUNHOOKS_WITH_POSTGRES), LIBDIR (optional: CMAKE_INSTALL_LIBDIR),
#   UNIT_TESTS (optional, ON: build runhooks_unit_tests too, the tests that
#   use the public API only, against this library).
cmake_minimum_required(VERSION 3.21)
foreach(var BINARY_DIR PREFIX)
  if(NOT ${var})
    message(FATAL_ERROR "build_and_install.cmake: ${var} is not set")
  endif()
endforeach()

if(SOURCE_DIR)
  if(NOT DEFINED SHARED)
    set(SHARED ON)
  endif()
  if(NOT UNIT_TESTS)
    set(UNIT_TESTS OFF)
  endif()
  set(args
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
    -DBUILD_SHARED_LIBS=${SHARED} -DRUNHOOKS_INSTALL=ON
    -DRUNHOOKS_BUILD_TESTS=${UNIT_TESTS} -DRUNHOOKS_BUILD_EXAMPLES=OFF
    -DRUNHOOKS_BUILD_TOOLS=OFF -DRUNHOOKS_BUILD_BENCH=OFF -DRUNHOOKS_BUILD_FUZZERS=OFF)
  if(DEFINED WITH_POSTGRES AND NOT WITH_POSTGRES STREQUAL "")
    list(APPEND args -DRUNHOOKS_WITH_POSTGRES=${WITH_POSTGRES})
  endif()
  if(LIBDIR)
    list(APPEND args -DCMAKE_INSTALL_LIBDIR=${LIBDIR})
  endif()
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} ${args}
    COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} -j 2
    COMMAND_ERROR_IS_FATAL ANY)
endif()

# No file from an earlier install may stand in for a missing one.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${PREFIX}
  COMMAND_ERROR_IS_FATAL ANY)
