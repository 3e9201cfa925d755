#pragma once
// Small text helpers shared by the headers (namespace refmatch::detail).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace refmatch::detail {

/// Hashes std::string keys and std::string_view probes alike, so that a lookup by a view builds
/// no string. Deliberately not `noexcept`: libstdc++ then keeps each key's hash in its node, so
/// that a lookup compares hashes before texts and never hashes a neighbour again to learn its
/// bucket (a million references make five lookups each).
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// A map from std::string that is looked up by std::string_view.
template <class T>
using string_map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;

inline char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

/// Returns `f(lowered)` for the ASCII lower-case form of `s`, made on the stack when it is short
/// (a code looked up a million times while a program loads makes no string).
template <class F>
decltype(auto) with_ascii_lower(std::string_view s, F&& f) {
    char buffer[64];
    if (s.size() > sizeof buffer) return f(std::string_view(ascii_lower(s)));
    for (std::size_t i = 0; i < s.size(); ++i) buffer[i] = ascii_lower(s[i]);
    return f(std::string_view(buffer, s.size()));
}

/// Appends the lower-case, accent-free form of the UTF-8 character at `s[i]` to `out` and returns
/// its length in bytes. Latin-1 and Latin Extended-A letters lose their accents ("É" -> "e",
/// "ß" -> "ss", "Œ" -> "oe"), Cyrillic capitals become small letters; anything else (CJK, Hangul,
/// invalid bytes) is copied as it is.
inline std::size_t append_folded(std::string& out, std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        out += ascii_lower(s[i]);
        return 1;
    }
    if ((b0 & 0xE0) == 0xC0 && i + 1 < s.size()) {
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        const unsigned cp = ((b0 & 0x1Fu) << 6) | (b1 & 0x3Fu);
        // Base letters of U+00C0..U+00FF and U+0100..U+017F; digits stand for two letters, '*'
        // for a character that is kept.
        static constexpr std::string_view latin1 =
            "aaaaaa3ceeeeiiiidnooooo*ouuuuy45aaaaaa3ceeeeiiiidnooooo*ouuuuy4y";
        static constexpr std::string_view extended_a =
            "aaaaaaccccccccddddeeeeeeeeeegggg"
            "gggghhhhiiiiiiiiii11jjkkklllllll"
            "lllnnnnnnnnnoooooo22rrrrrrssssss"
            "ssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
        char base = 0;
        if (cp >= 0xC0 && cp <= 0xFF) base = latin1[cp - 0xC0];
        if (cp >= 0x100 && cp <= 0x17F) base = extended_a[cp - 0x100];
        if (base != 0 && base != '*') {
            static constexpr std::string_view pairs[] = {"ij", "oe", "ae", "th", "ss"};
            if (base >= '1' && base <= '5')
                out += pairs[base - '1'];
            else
                out += base;
            return 2;
        }
        if (cp >= 0x410 && cp <= 0x42F) {  // Cyrillic А..Я -> а..я
            const unsigned lower = cp + 0x20;
            out += static_cast<char>(0xC0 | (lower >> 6));
            out += static_cast<char>(0x80 | (lower & 0x3F));
            return 2;
        }
        if (cp >= 0x400 && cp <= 0x40F) {  // Ѐ..Џ -> ѐ..џ
            const unsigned lower = cp + 0x50;
            out += static_cast<char>(0xC0 | (lower >> 6));
            out += static_cast<char>(0x80 | (lower & 0x3F));
            return 2;
        }
        out.append(s.substr(i, 2));
        return 2;
    }
    std::size_t n = 1;
    if ((b0 & 0xF0) == 0xE0) n = 3;
    if ((b0 & 0xF8) == 0xF0) n = 4;
    if (i + n > s.size()) n = s.size() - i;
    out.append(s.substr(i, n));
    return n;
}

/// The key under which free text is looked up: accents folded and case ignored (see
/// `append_folded`), dots dropped ("U.S.A." is "usa"), runs of spaces, tabs, hyphens and
/// underscores made one space, and no space at either end ("  Côte-d'Ivoire " is
/// "cote d'ivoire"; "AIRLINES_AVIATION" is "airlines aviation").
inline std::string fold_key(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool gap = false;
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (c == '.') {
            ++i;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '\r' || c == '\n') {
            gap = true;
            ++i;
            continue;
        }
        if (gap && !out.empty()) out += ' ';
        gap = false;
        i += append_folded(out, s, i);
    }
    return out;
}

/// The words of a text for searching titles: folded as `fold_key`, split at every ASCII
/// character that is not a letter or digit (bytes of other scripts stay inside words).
inline std::vector<std::string> search_words(std::string_view s) {
    std::vector<std::string> words;
    std::string folded;
    for (std::size_t i = 0; i < s.size();) i += append_folded(folded, s, i);
    std::string word;
    for (const char c : folded) {
        const auto u = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || u >= 0x80) {
            word += c;
        } else if (!word.empty()) {
            words.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

}  // namespace refmatch::detail
