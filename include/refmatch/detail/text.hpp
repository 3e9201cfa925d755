#pragma once
// Small text helpers shared by the headers (namespace refmatch::detail).

#include <string>
#include <string_view>

namespace refmatch::detail {

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace refmatch::detail
