#pragma once
/// @file referrals/similarity.hpp
/// Company-name similarity for the integrity checks: names normalised (case, accents of Latin-1,
/// punctuation, legal suffixes such as `GmbH`, `Inc.`, `Ltd`) and compared with Jaro–Winkler.

#include <string>
#include <string_view>

namespace refmatch::referrals {

/// A company name as compared: lower-case ASCII letters and digits in words separated by one
/// space, Latin-1 accents folded (`Müller` → `muller`), `&` read as `and`, a leading `the` and
/// trailing legal-form words (`inc`, `ltd`, `gmbh`, `s.a.`, `co`, ... see docs/referrals.md)
/// removed. `Müller, Söhne & Co. GmbH` → `muller sohne`. O(length).
[[nodiscard]] std::string normalise_company_name(std::string_view name);

/// The Jaro–Winkler similarity of two strings in [0, 1] (1: equal), over bytes: the Jaro
/// similarity (matches within ⌊max(|a|,|b|)/2⌋−1 positions, half the transpositions) raised by
/// 0.1 per common prefix character, at most 4. Two empty strings are 1. O(|a|·|b|) worst case,
/// O(|a|+|b|) memory; allocation-free for strings up to 64 bytes.
[[nodiscard]] double jaro_winkler(std::string_view a, std::string_view b);

/// The threshold above which (≥) two normalised names are taken for the same organisation.
/// Chosen on hand-made pairs (docs/referrals.md): typos and suffix changes score ≥ 0.93,
/// distinct companies sharing one word mostly below 0.9.
inline constexpr double name_similarity_threshold = 0.92;

}  // namespace refmatch::referrals
