# Builds runhooks as a shared library (library only) and installs it to PREFIX.
# Run with cmake -P; used by the package tests.
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
    -DBUILD_SHARED_LIBS=ON -DRUNHOOKS_BUILD_TESTS=OFF -DRUNHOOKS_BUILD_EXAMPLES=OFF
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} -j 2 COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${PREFIX}
  COMMAND_ERROR_IS_FATAL ANY)
