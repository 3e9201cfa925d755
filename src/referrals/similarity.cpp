// Company-name normalisation and Jaro–Winkler similarity.

#include <refmatch/referrals/similarity.hpp>

#include <algorithm>
#include <array>
#include <bit>
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
    // One pass into the output: letters and digits lower-cased, accents folded; `.` and `'` join
    // (S.A. → sa, O'Neil → oneil); `&` reads `and`; anything else separates words (one space).
    std::string out;
    out.reserve(name.size() + 4);
    const auto separate = [&] {
        if (!out.empty() && out.back() != ' ') out += ' ';
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out += static_cast<char>(c);
        } else if (c == '.' || c == '\'') {
        } else if (c == '&') {
            separate();
            out += "and ";
        } else if (c == 0xc3 && i + 1 < name.size()) {
            if (const char* folded = fold_latin1(static_cast<unsigned char>(name[i + 1])))
                out += folded;
            else
                separate();
            ++i;
        } else if (c >= 0x80) {
            out += static_cast<char>(c);  // other scripts kept as they are
        } else {
            separate();
        }
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    // Trailing legal forms (and an `and` left by `& Co`) go, a leading `the` too; one word stays.
    for (;;) {
        const auto space = out.rfind(' ');
        if (space == std::string::npos) break;
        const std::string_view last = std::string_view(out).substr(space + 1);
        if (!is_legal_form(last) && last != "and") break;
        out.resize(space);
    }
    if (out.starts_with("the ")) out.erase(0, 4);
    return out;
}

namespace {

// The Jaro formula and the Winkler prefix boost, from the counts.
double jaro_winkler_of(std::string_view a, std::string_view b, std::size_t matches,
                       std::size_t half_transpositions) {
    if (matches == 0) return 0.0;
    const double m = static_cast<double>(matches);
    const double t = static_cast<double>(half_transpositions) / 2.0;
    const double jaro =
        (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + (m - t) / m) / 3.0;
    std::size_t prefix = 0;
    while (prefix < 4 && prefix < a.size() && a[prefix] == b[prefix]) ++prefix;
    return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

// Strings up to 64 bytes: the positions of each byte in b as a bit mask, so that the first
// unmatched equal character of b within the window is one AND and one count of trailing zeros.
double jaro_winkler_short(std::string_view a, std::string_view b, std::size_t range) {
    const std::size_t la = a.size(), lb = b.size();
    std::uint64_t where[256];  // only the entries of a's and b's bytes are set
    for (std::size_t i = 0; i < la; ++i) where[static_cast<unsigned char>(a[i])] = 0;
    for (std::size_t j = 0; j < lb; ++j) where[static_cast<unsigned char>(b[j])] = 0;
    for (std::size_t j = 0; j < lb; ++j)
        where[static_cast<unsigned char>(b[j])] |= std::uint64_t{1} << j;
    const std::uint64_t all_b = lb == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << lb) - 1;
    std::uint64_t matched_b = 0, matched_a = 0;
    std::size_t matches = 0;
    for (std::size_t i = 0; i < la; ++i) {
        const std::size_t lo = i > range ? i - range : 0;
        const std::size_t hi = std::min(lb, i + range + 1);  // exclusive
        const std::uint64_t window = (hi >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << hi) - 1) &
                                     ~((std::uint64_t{1} << lo) - 1);
        const std::uint64_t free =
            where[static_cast<unsigned char>(a[i])] & window & all_b & ~matched_b;
        if (free == 0) continue;
        matched_b |= free & (~free + 1);  // the lowest
        matched_a |= std::uint64_t{1} << i;
        ++matches;
    }
    std::size_t half = 0;
    std::uint64_t ma = matched_a, mb = matched_b;
    while (ma != 0) {
        const auto i = static_cast<std::size_t>(std::countr_zero(ma));
        const auto j = static_cast<std::size_t>(std::countr_zero(mb));
        half += a[i] != b[j];
        ma &= ma - 1;
        mb &= mb - 1;
    }
    return jaro_winkler_of(a, b, matches, half);
}

}  // namespace

double jaro_winkler(std::string_view a, std::string_view b) {
    if (a.size() > b.size()) std::swap(a, b);  // a: the shorter
    const std::size_t la = a.size(), lb = b.size();
    if (lb == 0) return 1.0;
    if (la == 0) return 0.0;
    const std::size_t range = lb / 2 > 0 ? lb / 2 - 1 : 0;
    if (lb <= 64) return jaro_winkler_short(a, b, range);
    std::vector<bool> matched_b(lb, false), matched_a(la, false);
    std::size_t matches = 0;
    for (std::size_t i = 0; i < la; ++i) {
        const std::size_t lo = i > range ? i - range : 0;
        const std::size_t hi = std::min(lb, i + range + 1);
        for (std::size_t j = lo; j < hi; ++j) {
            if (matched_b[j] || a[i] != b[j]) continue;
            matched_b[j] = true;
            matched_a[i] = true;
            ++matches;
            break;
        }
    }
    // Transpositions: matched characters of a and b, in order, that differ.
    std::size_t half = 0;
    for (std::size_t i = 0, j = 0; i < la; ++i) {
        if (!matched_a[i]) continue;
        while (!matched_b[j]) ++j;
        half += a[i] != b[j];
        ++j;
    }
    return jaro_winkler_of(a, b, matches, half);
}

}  // namespace refmatch::referrals
