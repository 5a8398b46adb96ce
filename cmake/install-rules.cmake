include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RUNHOOKS_CONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/runhooks")

install(TARGETS runhooks
  EXPORT runhooksTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(DIRECTORY include/runhooks
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/runhooks
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(EXPORT runhooksTargets
  NAMESPACE runhooks::
  DESTINATION ${RUNHOOKS_CONFIG_DIR})

if(BUILD_SHARED_LIBS)
  set(RUNHOOKS_CONFIG_SHARED ON)
else()
  set(RUNHOOKS_CONFIG_SHARED OFF)
endif()
configure_package_config_file(cmake/runhooks-config.cmake.in
  ${PROJECT_BINARY_DIR}/runhooks-config.cmake
  INSTALL_DESTINATION ${RUNHOOKS_CONFIG_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/runhooks-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/runhooks-config.cmake
  ${PROJECT_BINARY_DIR}/runhooks-config-version.cmake
  DESTINATION ${RUNHOOKS_CONFIG_DIR})

# pkg-config: `pkg-config --static --libs runhooks` adds what a static archive
# needs; the dependencies are Requires.private either way.
set(RUNHOOKS_PC_LIBS_PRIVATE "-lpthread")
if(RUNHOOKS_WITH_POSTGRES)
  set(RUNHOOKS_PC_PQ "libpq")
else()
  set(RUNHOOKS_PC_PQ "")
endif()
if(BUILD_SHARED_LIBS)
  set(RUNHOOKS_PC_CFLAGS "")
else()
  set(RUNHOOKS_PC_CFLAGS "-DRUNHOOKS_STATIC_DEFINE")
endif()
configure_file(cmake/runhooks.pc.in ${PROJECT_BINARY_DIR}/runhooks.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/runhooks.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
