#pragma once
/// @file program_tables.hpp
/// A program as plain tables, and the one place where tables become a program. Every way of
/// making a program (files, memory, DataFrames, a pickled state, a database) reads its tables
/// into a `program_tables` and calls `assemble`; `tables_of` is the inverse.
///
/// The order of a program is: products and quota table first (the quota table may declare custom
/// activity types), which with the taxonomies and size bands make the vocabulary; then the
/// references, the prospects and the usage events, each validated against what came before.
/// The io layer reads text in that order (`read_program_tables` in io.hpp); `assemble` builds
/// the program from the finished tables.

#include <refmatch/error.hpp>
#include <refmatch/program.hpp>
#include <refmatch/prospect.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/reference_batch.hpp>
#include <refmatch/usage_ledger.hpp>
#include <refmatch/vocabulary.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace refmatch {

namespace detail {
// Which of the usage's distinct reference ids (by `reference_number`) are ids of `references`:
// one bit each, not a copy of the ids.
inline std::vector<bool> named_references(const usage_batch& usage,
                                          const reference_batch& references) {
    std::vector<bool> out(usage.reference_count(), false);
    // A group at a time (`reference_numbers`): a million lookups wait for memory side by side.
    constexpr std::size_t group = 64;
    std::array<std::string_view, group> ids;
    std::array<std::optional<std::uint32_t>, group> numbers;
    for (std::size_t from = 0; from < references.size(); from += group) {
        const auto n = std::min(group, references.size() - from);
        for (std::size_t i = 0; i < n; ++i) ids[i] = references[from + i].id();
        usage.reference_numbers(std::span(ids.data(), n), std::span(numbers.data(), n));
        for (std::size_t i = 0; i < n; ++i)
            if (numbers[i]) out[*numbers[i]] = true;
    }
    return out;
}
}  // namespace detail

/// The tables of one program. A plain value: copy, move and change it freely.
///
/// `vocab` carries the taxonomies, size bands, product catalogue and activity types (the
/// standard ones, then the custom ones in id order); the records refer to it by code.
struct program_tables {
    std::shared_ptr<const vocabulary> vocab;
    /// The program's default limits (custom activities of `vocab` included).
    quota_policy quotas;
    /// Packed (reference_batch.hpp): a million references take about 100 MB here, and the
    /// store keeps these bytes rather than copying them.
    reference_batch references;
    std::vector<prospect> prospects;
    /// The usage events in recording order, gathered as the ledger records them (ids interned,
    /// about 16 bytes per event): a large usage table is never held as `usage_event`s.
    usage_batch usage;

    /// Builds the program, all or nothing: a vocabulary (required), the quota policy, then the
    /// references and prospects (each table validated as the stores validate, see `add_all`),
    /// then the usage events, each checked as `program::record_usage` checks it.
    /// @throws validation_error (the stores' and `record_usage`'s messages); nothing is returned
    ///         then. The `&&` overload moves the records instead of copying them.
    ///
    /// **Complexity:** linear in the records (plus the stores' indexing). With a large usage
    /// table (64Ki events or more) the usage is checked and put into the ledger, and then the
    /// prospects fill, on a second thread while the references fill; the result and the errors
    /// are those of doing it all in order on one thread.
    /// **Thread safety:** reentrant; the tables are only read (or moved from, for `&&`).
    [[nodiscard]] std::unique_ptr<program> assemble() const& {
        return program_tables(*this).build();
    }
    [[nodiscard]] std::unique_ptr<program> assemble() && { return build(); }

private:
    // From this many usage events, the usage is checked and put into the ledger on a second
    // thread while the stores fill (a large program: a thread costs nothing beside it).
    static constexpr std::size_t parallel_usage = std::size_t{1} << 16;

    std::unique_ptr<program> build() {
        if (!vocab) throw validation_error("program tables: expected a vocabulary, got none");
        auto out = std::make_unique<program>(vocab);
        out->quotas = std::move(quotas);
        if (usage.size() < parallel_usage) {
            out->references.add_all(std::move(references));
            out->prospects.add_all(std::move(prospects));
            out->record_usage_all(std::move(usage));
        } else {
            fill_beside_usage(*out);
        }
        usage = usage_batch{};
        return out;
    }

    // The same steps with the same errors (the references' first, then the prospects', then the
    // first bad event), the usage and then the prospects on another thread while the references
    // fill. Which of the events' reference ids the program has is marked before the records
    // move into the store.
    void fill_beside_usage(program& out) {
        const auto is_reference = detail::named_references(usage, references);
        std::exception_ptr usage_error, prospects_error;
        std::thread beside([&] {
            try {
                out.check_usage_all(usage,
                                    [&](std::uint32_t number) { return is_reference[number]; });
                out.usage.record_all(std::move(usage));
            } catch (...) {
                usage_error = std::current_exception();
            }
            try {
                out.prospects.add_all(std::move(prospects));
            } catch (...) {
                prospects_error = std::current_exception();
            }
        });
        try {
            out.references.add_all(std::move(references));
        } catch (...) {
            beside.join();
            throw;
        }
        beside.join();
        if (prospects_error) std::rethrow_exception(prospects_error);
        if (usage_error) std::rethrow_exception(usage_error);
    }
};

/// The tables of a program: its vocabulary (shared, it is immutable), quota policy, references
/// and prospects in id order, usage in recording order. `tables_of(p).assemble()` is a program
/// equal to `p`.
///
/// **Complexity:** linear (copies every record). **Thread safety:** as the stores' readers;
/// `quotas` must not change meanwhile.
[[nodiscard]] inline program_tables tables_of(const program& p) {
    program_tables t;
    t.vocab = p.vocab;
    t.quotas = p.quotas;
    t.references.reserve(p.references.size());
    p.references.for_each([&](const stored_reference& s) { t.references.push_back(s.view()); });
    t.prospects = p.prospects.all();
    t.usage = p.usage.batch();
    return t;
}

}  // namespace refmatch
