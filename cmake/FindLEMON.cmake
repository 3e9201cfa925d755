# FindLEMON — finds LEMON (Debian package liblemon-dev), whose own lemonConfig.cmake sets only
# variables. Defines the imported target LEMON::LEMON and LEMON_FOUND. refmatch uses only LEMON's
# header-only network simplex, so the target carries the include directory and no library.
find_path(LEMON_INCLUDE_DIR NAMES lemon/network_simplex.h)
if(LEMON_INCLUDE_DIR AND EXISTS "${LEMON_INCLUDE_DIR}/lemon/config.h")
  file(STRINGS "${LEMON_INCLUDE_DIR}/lemon/config.h" _lemon_version REGEX "#define LEMON_VERSION ")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" LEMON_VERSION "${_lemon_version}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LEMON REQUIRED_VARS LEMON_INCLUDE_DIR VERSION_VAR LEMON_VERSION)
if(LEMON_FOUND AND NOT TARGET LEMON::LEMON)
  add_library(LEMON::LEMON INTERFACE IMPORTED)
  set_target_properties(LEMON::LEMON PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${LEMON_INCLUDE_DIR}")
endif()
mark_as_advanced(LEMON_INCLUDE_DIR)
