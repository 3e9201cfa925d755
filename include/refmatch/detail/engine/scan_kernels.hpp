#pragma once
// The inner loop of a match: for each reference of a range, add four per-prospect table entries
// (industry, geography, size, product set) and hand the references whose quantised upper bound
// reaches the running threshold to an exact check. Three versions with identical results
// (scalar, AVX2, AVX-512), picked at run time; none needs global -m flags because the SIMD ones
// carry `target` attributes.

#include <bit>
#include <cstdint>
#include <string_view>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define REFMATCH_X86_SIMD 1
#include <immintrin.h>
#else
#define REFMATCH_X86_SIMD 0
#endif

namespace refmatch::detail {

// Called for each reference whose bound reaches the threshold; returns the (possibly raised)
// threshold. `index` is the reference's position in the snapshot.
using candidate_fn = std::int32_t (*)(void* context, std::uint32_t index);

struct scan_input {
    // Columns of the snapshot.
    const std::uint16_t* industry;
    const std::uint16_t* geography;
    const std::uint8_t* size;
    const std::uint32_t* product_set;
    const std::uint16_t* consent;
    // Per-prospect tables of quantised upper-bound contributions (filters folded in as a large
    // negative value). `size_table` has at least 16 entries.
    const std::int32_t* industry_table;
    const std::int32_t* geography_table;
    const std::int32_t* size_table;
    const std::int32_t* product_table;
    std::uint32_t size_entries;  // entries of size_table in use
    // A reference is skipped unless (consent & consent_mask) == consent_mask.
    std::uint16_t consent_mask;
};

inline void scan_scalar(const scan_input& in, std::uint32_t begin, std::uint32_t end,
                        std::int32_t threshold, void* context, candidate_fn on_candidate) {
    const std::uint16_t mask = in.consent_mask;
    for (std::uint32_t i = begin; i < end; ++i) {
        const std::int32_t bound = in.industry_table[in.industry[i]] +
                                   in.geography_table[in.geography[i]] + in.size_table[in.size[i]] +
                                   in.product_table[in.product_set[i]];
        if (bound >= threshold && (in.consent[i] & mask) == mask)
            threshold = on_candidate(context, i);
    }
}

// The same check over the listed positions of one product set, whose bound entry is
// `product_bound` for all of them.
inline std::int32_t scan_members(const scan_input& in, const std::uint32_t* first,
                                 const std::uint32_t* last, std::int32_t product_bound,
                                 std::int32_t threshold, void* context, candidate_fn on_candidate) {
    const std::uint16_t mask = in.consent_mask;
    for (; first != last; ++first) {
        const std::uint32_t i = *first;
        const std::int32_t bound = in.industry_table[in.industry[i]] +
                                   in.geography_table[in.geography[i]] + in.size_table[in.size[i]] +
                                   product_bound;
        if (bound >= threshold && (in.consent[i] & mask) == mask)
            threshold = on_candidate(context, i);
    }
    return threshold;
}

#if REFMATCH_X86_SIMD

// GCC 12 warns about the deliberately undefined vectors inside its own intrinsics headers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

__attribute__((target("avx2"))) inline void scan_avx2(const scan_input& in, std::uint32_t begin,
                                                      std::uint32_t end, std::int32_t threshold,
                                                      void* context, candidate_fn on_candidate) {
    const __m256i mask = _mm256_set1_epi32(in.consent_mask);
    __m256i limit = _mm256_set1_epi32(threshold - 1);
    std::uint32_t i = begin;
    for (; i + 8 <= end; i += 8) {
        const __m256i ind = _mm256_cvtepu16_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(in.industry + i)));
        const __m256i geo = _mm256_cvtepu16_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(in.geography + i)));
        const __m256i size =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in.size + i)));
        const __m256i set =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in.product_set + i));
        __m256i sum = _mm256_i32gather_epi32(in.industry_table, ind, 4);
        sum = _mm256_add_epi32(sum, _mm256_i32gather_epi32(in.geography_table, geo, 4));
        sum = _mm256_add_epi32(sum, _mm256_i32gather_epi32(in.size_table, size, 4));
        sum = _mm256_add_epi32(sum, _mm256_i32gather_epi32(in.product_table, set, 4));
        const __m256i consent = _mm256_cvtepu16_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(in.consent + i)));
        const __m256i ok =
            _mm256_and_si256(_mm256_cmpgt_epi32(sum, limit),
                             _mm256_cmpeq_epi32(_mm256_and_si256(consent, mask), mask));
        auto bits = static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(ok)));
        while (bits != 0) {
            const auto lane = static_cast<std::uint32_t>(std::countr_zero(bits));
            bits &= bits - 1;
            threshold = on_candidate(context, i + lane);
            limit = _mm256_set1_epi32(threshold - 1);
            // Lanes below the raised threshold are no longer candidates.
            bits &= static_cast<std::uint32_t>(
                _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(sum, limit))));
        }
    }
    scan_scalar(in, i, end, threshold, context, on_candidate);
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) inline void scan_avx512(
    const scan_input& in, std::uint32_t begin, std::uint32_t end, std::int32_t threshold,
    void* context, candidate_fn on_candidate) {
    const __m512i mask = _mm512_set1_epi32(in.consent_mask);
    const bool check_consent = in.consent_mask != 0;
    // Up to 16 size entries live in a register: a permute instead of a gather.
    const bool size_in_register = in.size_entries <= 16;
    const __m512i size_table = _mm512_loadu_si512(in.size_table);
    __m512i limit = _mm512_set1_epi32(threshold);
    for (std::uint32_t i = begin; i < end; i += 16) {
        const __mmask16 lanes =
            end - i >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (end - i)) - 1u);
        // Masked loads read zeros past the end: index 0 exists in every table.
        const __m512i ind = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(lanes, in.industry + i));
        const __m512i geo =
            _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(lanes, in.geography + i));
        const __m512i size = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(lanes, in.size + i));
        const __m512i set = _mm512_maskz_loadu_epi32(lanes, in.product_set + i);
        __m512i sum = _mm512_i32gather_epi32(ind, in.industry_table, 4);
        sum = _mm512_add_epi32(sum, _mm512_i32gather_epi32(geo, in.geography_table, 4));
        sum = _mm512_add_epi32(sum, size_in_register
                                        ? _mm512_permutexvar_epi32(size, size_table)
                                        : _mm512_i32gather_epi32(size, in.size_table, 4));
        sum = _mm512_add_epi32(sum, _mm512_i32gather_epi32(set, in.product_table, 4));
        __mmask16 bits = _mm512_mask_cmpge_epi32_mask(lanes, sum, limit);
        if (bits != 0 && check_consent) {
            const __m512i consent =
                _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(lanes, in.consent + i));
            bits = _mm512_mask_cmpeq_epi32_mask(bits, _mm512_and_si512(consent, mask), mask);
        }
        while (bits != 0) {
            const auto lane = static_cast<std::uint32_t>(std::countr_zero(bits));
            bits = static_cast<__mmask16>(bits & (bits - 1));
            threshold = on_candidate(context, i + lane);
            limit = _mm512_set1_epi32(threshold);
            bits = _mm512_mask_cmpge_epi32_mask(bits, sum, limit);
        }
    }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // REFMATCH_X86_SIMD

}  // namespace refmatch::detail
