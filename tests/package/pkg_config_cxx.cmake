# Compiles consumer.cpp against an installed runhooks.pc with the command a
# user types, verbatim, and runs it. Run with cmake -P.
#   KIND             static or shared
#   PKG_CONFIG_DIR   <prefix>/<libdir>/pkgconfig
#   LIB_DIR          <prefix>/<libdir> (the shared library's directory)
#   CONSUMER_SOURCE  tests/package/consumer.cpp
#   WORK_DIR         scratch directory (emptied first)
#   WITH_POSTGRES    RUNHOOKS_WITH_POSTGRES of the install
cmake_minimum_required(VERSION 3.21)
set(command "c++ consumer.cpp $(pkg-config --cflags --libs runhooks) -o consumer")

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
file(COPY ${CONSUMER_SOURCE} DESTINATION ${WORK_DIR})
set(ENV{PKG_CONFIG_PATH} "${PKG_CONFIG_DIR}")

function(pkg_config out)
  execute_process(COMMAND pkg-config ${ARGN} runhooks
    OUTPUT_VARIABLE output ERROR_VARIABLE error RESULT_VARIABLE rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config ${ARGN} runhooks failed (${rc}):\n${output}${error}")
  endif()
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

# The file is well formed and is the one installed here, not another one.
pkg_config(unused --validate)
pkg_config(pcfiledir --variable=pcfiledir)
file(REAL_PATH "${pcfiledir}" pcfiledir)
file(REAL_PATH "${PKG_CONFIG_DIR}" expected_pcfiledir)
if(NOT pcfiledir STREQUAL expected_pcfiledir)
  message(FATAL_ERROR "pkg-config found runhooks.pc in ${pcfiledir}, not ${expected_pcfiledir}")
endif()

# The static archive's direct dependencies come with plain --libs; the shared
# library's stay private.
pkg_config(cflags --cflags)
pkg_config(libs --libs)
message(STATUS "pkg-config --cflags --libs runhooks: ${cflags} ${libs}")
set(dependencies -lcurl -lsqlite3 -lcrypto)
if(WITH_POSTGRES)
  list(APPEND dependencies -lpq)
endif()
separate_arguments(libs_list UNIX_COMMAND "${libs}")
separate_arguments(cflags_list UNIX_COMMAND "${cflags}")
foreach(flag IN LISTS dependencies ITEMS -lpthread)
  if(KIND STREQUAL "static" AND NOT flag IN_LIST libs_list)
    message(FATAL_ERROR "static runhooks: ${flag} missing from pkg-config --libs: ${libs}")
  endif()
  if(KIND STREQUAL "shared" AND flag IN_LIST libs_list)
    message(FATAL_ERROR "shared runhooks: ${flag} in pkg-config --libs: ${libs}")
  endif()
endforeach()
if(KIND STREQUAL "static" AND NOT "-DRUNHOOKS_STATIC_DEFINE" IN_LIST cflags_list)
  message(FATAL_ERROR "static runhooks: -DRUNHOOKS_STATIC_DEFINE missing from --cflags: ${cflags}")
endif()
if(KIND STREQUAL "shared" AND "-DRUNHOOKS_STATIC_DEFINE" IN_LIST cflags_list)
  message(FATAL_ERROR "shared runhooks: -DRUNHOOKS_STATIC_DEFINE in --cflags: ${cflags}")
endif()

execute_process(COMMAND sh -c "${command}"
  WORKING_DIRECTORY ${WORK_DIR} COMMAND_ECHO STDOUT RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "`${command}` failed (${rc})")
endif()

# pkg-config adds no run path: the shared library is found as a user would
# find it outside the system's directories.
if(KIND STREQUAL "shared")
  set(ENV{LD_LIBRARY_PATH} "${LIB_DIR}")
endif()
execute_process(COMMAND ${WORK_DIR}/consumer WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer built with pkg-config exited with ${rc}")
endif()
