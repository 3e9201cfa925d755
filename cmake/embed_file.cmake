# Turns a data file into a C++ source defining `std::string_view refmatch::detail::<NAME>()`,
# so that the shipped taxonomies travel inside the library and need no install path at run time.
# Run as: cmake -DINPUT=file -DOUTPUT=file.cpp -DNAME=symbol -P embed_file.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR byte_count "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('[^']*',){32})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/embed_file.cmake; do not edit.
#include <string_view>
namespace refmatch::detail {
namespace { constexpr char ${NAME}_bytes[] = {${bytes}}; }
std::string_view ${NAME}() { return {${NAME}_bytes, ${byte_count}}; }
}  // namespace refmatch::detail
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
