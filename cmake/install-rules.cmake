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

# pkg-config. A static archive brings none of its dependencies, so for the
# static build they are public (Requires, Libs): plain
# `pkg-config --cflags --libs runhooks` links. `--static` is not needed, and
# would also ask for libcurl's own private dependencies (Debian ships no
# archives of several). For the shared library they are Requires.private.
# The versions are dependencies.cmake's minimums; the names are the .pc files of
# what it finds (Threads is PUBLIC in src/CMakeLists.txt, hence -lpthread).
set(RUNHOOKS_PC_DEPENDENCIES "libcurl >= 7.80" "sqlite3 >= 3.35" "libcrypto >= 3.0")
if(RUNHOOKS_WITH_POSTGRES)
  list(APPEND RUNHOOKS_PC_DEPENDENCIES "libpq")
endif()
list(JOIN RUNHOOKS_PC_DEPENDENCIES ", " RUNHOOKS_PC_DEPENDENCIES)
if(BUILD_SHARED_LIBS)
  set(RUNHOOKS_PC_KIND "shared")
  set(RUNHOOKS_PC_REQUIRES "")
  set(RUNHOOKS_PC_REQUIRES_PRIVATE "${RUNHOOKS_PC_DEPENDENCIES}")
  set(RUNHOOKS_PC_CFLAGS "")
  set(RUNHOOKS_PC_LIBS "")
  set(RUNHOOKS_PC_LIBS_PRIVATE "-lpthread")
else()
  set(RUNHOOKS_PC_KIND "static")
  set(RUNHOOKS_PC_REQUIRES "${RUNHOOKS_PC_DEPENDENCIES}")
  set(RUNHOOKS_PC_REQUIRES_PRIVATE "")
  set(RUNHOOKS_PC_CFLAGS " -DRUNHOOKS_STATIC_DEFINE")
  set(RUNHOOKS_PC_LIBS " -lpthread")
  set(RUNHOOKS_PC_LIBS_PRIVATE "")
endif()
# prefix is found from the .pc file's own directory, however deep LIBDIR is
# (lib, or lib/x86_64-linux-gnu for a /usr prefix on Debian); an absolute
# LIBDIR or INCLUDEDIR is written as it is.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(RUNHOOKS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(RUNHOOKS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH RUNHOOKS_PC_UP "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" RUNHOOKS_PC_UP "${RUNHOOKS_PC_UP}")
  set(RUNHOOKS_PC_PREFIX "\${pcfiledir}/${RUNHOOKS_PC_UP}")
  set(RUNHOOKS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(RUNHOOKS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(RUNHOOKS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# Fields left empty (Requires.private of the static build, ...) are dropped.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/cmake/runhooks.pc.in)
file(READ ${PROJECT_SOURCE_DIR}/cmake/runhooks.pc.in RUNHOOKS_PC)
string(CONFIGURE "${RUNHOOKS_PC}" RUNHOOKS_PC @ONLY)
string(REGEX REPLACE "\n[A-Za-z.]+:[ ]*\n" "\n" RUNHOOKS_PC "${RUNHOOKS_PC}")
string(REGEX REPLACE "\n[A-Za-z.]+:[ ]*\n" "\n" RUNHOOKS_PC "${RUNHOOKS_PC}")  # adjacent ones
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/runhooks.pc CONTENT "${RUNHOOKS_PC}" @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/runhooks.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
