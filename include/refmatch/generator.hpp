#pragma once
/// @file generator.hpp
/// A deterministic, seeded generator of realistic reference programs, for the bundled sample,
/// tests and benchmarks (link refmatch::io).

#include <refmatch/assignment/dated_request.hpp>
#include <refmatch/date.hpp>
#include <refmatch/program.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace refmatch {

/// The day the bundled sample program is as of: the generator's default `now`, and the day the
/// command line evaluates quotas on for a program without usage.
inline constexpr date sample_program_day = date{std::chrono::year{2025} / 6 / 30};

/// What to generate. The defaults make the bundled sample program (src/data/sample/).
struct generator_options {
    std::uint64_t seed = 42;
    std::size_t references = 2000;
    std::size_t prospects = 500;  ///< open opportunities
    std::size_t products = 50;    ///< catalogue size (at least 1)
    /// The day the program is "as of": usage history ends here, due dates lie after it.
    date now = sample_program_day;
    std::uint32_t history_days = 365;  ///< length of the usage history before `now`
};

/// Generates a program shaped like a real vendor's: customers concentrated in a few NAICS sectors
/// (finance, information, professional services, manufacturing, health care lead) and M49
/// regions (Northern America and Europe lead), codes at mixed levels with a few missing; products
/// in families, a reference using mostly one family; skewed size bands; mostly active
/// references; consents common for cheap activities and rare for costly ones, some personal
/// limits; a usage history in which a few popular references take most of the uses, some of them
/// at their quota; prospects with deal values growing with size, sales stages, requested
/// activities, due dates (a few within two days) and a few exclusions. One custom activity type,
/// `webinar`, is registered with its own quota.
///
/// The same options give the same program on every platform (the generator uses its own
/// pseudo-random numbers and distributions, not the standard library's, and only correctly
/// rounded floating-point operations).
///
/// **Complexity:** O((references + prospects + usage events) log n). A million references with
/// 100,000 prospects (about 4.8 million usage events) take about 5 s in all to draw and to
/// insert into the stores and the ledger (Release build, one core).
/// **Thread safety:** reentrant.
/// @throws validation_error for `products == 0`.
[[nodiscard]] std::unique_ptr<program> generate_program(const generator_options& options = {});

/// What year of requests to generate for a program (see `generate_request_year`).
struct request_year_options {
    std::uint64_t seed = 7;
    std::size_t requests = 10000;
    /// The first day requests are asked on; the default is the day after the sample's `now`.
    date start = sample_program_day + std::chrono::days(1);
    std::uint32_t days = 365;  ///< requests are asked on `start .. start + days - 1`
};

/// A year of reference requests over the prospects of `p`, for replaying policies
/// (refmatch/assignment/simulation.hpp): asked on days spread over the period (weekdays three
/// times as often as weekends), each for a prospect of the program drawn uniformly, mostly for
/// the prospect's own activity (a sales call when it has none, and one time in five another
/// activity as the generator's prospects ask them); one reference wanted mostly, two or three
/// sometimes; due a few days to six weeks later, a few within two days; worth the prospect's
/// deal value. Ids are `Q-` and a number in day order.
///
/// **Complexity:** O(requests log requests + prospects). **Thread safety:** reentrant.
/// @throws validation_error when `p` has no prospects (and requests are asked for) or
///         `days == 0`.
[[nodiscard]] std::vector<dated_request> generate_request_year(
    const program& p, const request_year_options& options = {});

}  // namespace refmatch
