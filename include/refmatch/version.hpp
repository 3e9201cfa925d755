#pragma once
/// @file version.hpp
/// The library version.

#define REFMATCH_VERSION_MAJOR 0
#define REFMATCH_VERSION_MINOR 1
#define REFMATCH_VERSION_PATCH 0

namespace refmatch {
inline constexpr const char* version_string = "0.1.0";
}  // namespace refmatch
