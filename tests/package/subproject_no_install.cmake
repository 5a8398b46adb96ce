# After package.add_subdirectory built the consumer project (which has
# add_subdirectory(runhooks) and install(TARGETS consumer)), installs it into
# PREFIX and checks that runhooks added no install rules: bin/consumer is the
# only file installed. Run with cmake -P.
#   BINARY_DIR  the consumer project's build tree
#   PREFIX      scratch install prefix (emptied first)
cmake_minimum_required(VERSION 3.21)
file(STRINGS ${BINARY_DIR}/CMakeCache.txt install_option REGEX "^RUNHOOKS_INSTALL:")
if(NOT install_option STREQUAL "RUNHOOKS_INSTALL:BOOL=OFF")
  message(FATAL_ERROR "RUNHOOKS_INSTALL under add_subdirectory: '${install_option}', expected OFF")
endif()

file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${PREFIX}
  COMMAND_ERROR_IS_FATAL ANY)
file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE ${PREFIX} ${PREFIX}/*)
if(NOT installed STREQUAL "bin/consumer")
  string(REPLACE ";" "\n  " installed "${installed}")
  message(FATAL_ERROR "expected only bin/consumer to be installed, got:\n  ${installed}")
endif()
message(STATUS "installed: ${installed}")
