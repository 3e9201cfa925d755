// Company-name normalisation and Jaro–Winkler similarity.

#include <refmatch/referrals/similarity.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace refmatch::referrals {
namespace {

// Legal-form words removed from the end of a name (after punctuation is dropped, so `S.A.` is
// `sa` and `Co.,` is `co`). Kept short and common: a word here is never the distinctive part of
// a company's name.
constexpr std::array<std::string_view, 44> legal_forms{
    "ab",          "ag",  "aps",     "as",  "asa",  "bv",  "co",           "company", "corp",
    "corporation", "cv",  "doo",     "eg",  "gmbh", "inc", "incorporated", "kft",     "kg",
    "kk",          "lda", "limited", "llc", "llp",  "lp",  "ltd",          "ltda",    "mbh",
    "nv",          "oy",  "oyj",     "plc", "pte",  "pty", "sa",           "sarl",    "sas",
    "se",          "sl",  "spa",     "srl", "sro",  "ug",  "ulc",          "zoo"};

static_assert(std::is_sorted(legal_forms.begin(), legal_forms.end()));

bool is_legal_form(std::string_view w) {
    return std::binary_search(legal_forms.begin(), legal_forms.end(), w);
}

// Folds the Latin-1 letters of UTF-8 `C3 xx` to ASCII; nullptr for other code points.
const char* fold_latin1(unsigned char second) {
    static constexpr std::array<const char*, 64> table{
        "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", "th", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", "th", "y"};
    if (second < 0x80 || second > 0xbf) return nullptr;
    return table[second - 0x80];
}

}  // namespace

std::string normalise_company_name(std::string_view name) {
    // Letters and digits lower-cased, accents folded; `.` and `'` join (S.A. → sa, O'Neil →
    // oneil); `&` reads `and`; anything else separates words.
    std::string text;
    text.reserve(name.size() + 4);
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c >= 'A' && c <= 'Z') {
            text += static_cast<char>(c - 'A' + 'a');
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            text += static_cast<char>(c);
        } else if (c == '.' || c == '\'') {
        } else if (c == '&') {
            text += " and ";
        } else if (c == 0xc3 && i + 1 < name.size()) {
            const char* folded = fold_latin1(static_cast<unsigned char>(name[i + 1]));
            text += folded ? folded : " ";
            ++i;
        } else if (c >= 0x80) {
            text += static_cast<char>(c);  // other scripts kept as they are
        } else {
            text += ' ';
        }
    }
    std::vector<std::string_view> words;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const auto end = std::min(rest.find(' '), rest.size());
        words.push_back(rest.substr(0, end));
        rest.remove_prefix(end);
    }
    std::size_t first = 0;
    if (words.size() > 1 && words.front() == "the") first = 1;
    std::size_t last = words.size();
    while (last > first + 1 && is_legal_form(words[last - 1])) --last;
    // `Co. KG`, `& Co`: a trailing `and` left by `& Co` goes too.
    while (last > first + 1 && words[last - 1] == "and") --last;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = first; i < last; ++i) {
        if (!out.empty()) out += ' ';
        out.append(words[i]);
    }
    return out;
}

double jaro_winkler(std::string_view a, std::string_view b) {
    if (a.size() > b.size()) std::swap(a, b);  // a: the shorter
    const std::size_t la = a.size(), lb = b.size();
    if (lb == 0) return 1.0;
    if (la == 0) return 0.0;
    const std::size_t range = lb / 2 > 0 ? lb / 2 - 1 : 0;
    // Which characters of b are matched (a bitmask for short strings, else a vector).
    std::uint64_t small_b = 0, small_a = 0;
    std::vector<bool> big_b, big_a;
    const bool small = lb <= 64;
    if (!small) {
        big_b.assign(lb, false);
        big_a.assign(la, false);
    }
    const auto matched_b = [&](std::size_t j) {
        return small ? ((small_b >> j) & 1U) != 0 : static_cast<bool>(big_b[j]);
    };
    std::size_t matches = 0;
    for (std::size_t i = 0; i < la; ++i) {
        const std::size_t lo = i > range ? i - range : 0;
        const std::size_t hi = std::min(lb, i + range + 1);
        for (std::size_t j = lo; j < hi; ++j) {
            if (matched_b(j) || a[i] != b[j]) continue;
            if (small) {
                small_b |= std::uint64_t{1} << j;
                small_a |= std::uint64_t{1} << i;
            } else {
                big_b[j] = true;
                big_a[i] = true;
            }
            ++matches;
            break;
        }
    }
    if (matches == 0) return 0.0;
    // Transpositions: matched characters of a and b, in order, that differ.
    std::size_t half_transpositions = 0;
    std::size_t j = 0;
    for (std::size_t i = 0; i < la; ++i) {
        const bool in_a = small ? ((small_a >> i) & 1U) != 0 : static_cast<bool>(big_a[i]);
        if (!in_a) continue;
        while (!matched_b(j)) ++j;
        if (a[i] != b[j]) ++half_transpositions;
        ++j;
    }
    const double m = static_cast<double>(matches);
    const double t = static_cast<double>(half_transpositions) / 2.0;
    const double jaro =
        (m / static_cast<double>(la) + m / static_cast<double>(lb) + (m - t) / m) / 3.0;
    std::size_t prefix = 0;
    while (prefix < 4 && prefix < la && a[prefix] == b[prefix]) ++prefix;
    return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

}  // namespace refmatch::referrals
