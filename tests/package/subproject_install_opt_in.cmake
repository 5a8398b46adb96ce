# A consumer that sets RUNHOOKS_INSTALL=ON before add_subdirectory(runhooks)
# gets runhooks' install rules: configures the add_subdirectory consumer project
# so (no build needed) and looks for them in runhooks' cmake_install.cmake.
# Run with cmake -P.
#   SOURCE_DIR, BINARY_DIR (emptied first), RUNHOOKS_SOURCE_DIR, GENERATOR,
#   CXX_COMPILER
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE ${BINARY_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
    -DRUNHOOKS_SOURCE_DIR=${RUNHOOKS_SOURCE_DIR} -DRUNHOOKS_INSTALL=ON
  COMMAND_ERROR_IS_FATAL ANY)
file(READ ${BINARY_DIR}/runhooks/cmake_install.cmake rules)
foreach(expected librunhooks.a runhooks.pc runhooks-config.cmake runhooksTargets.cmake
    include/runhooks)
  string(FIND "${rules}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "RUNHOOKS_INSTALL=ON under add_subdirectory: no install rule for "
      "${expected} in ${BINARY_DIR}/runhooks/cmake_install.cmake")
  endif()
endforeach()
