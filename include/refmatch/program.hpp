#pragma once
/// @file program.hpp
/// A customer reference program: its vocabulary, quota policy, references, prospects and usage
/// ledger, together.

#include <refmatch/error.hpp>
#include <refmatch/prospect_store.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/reference_store.hpp>
#include <refmatch/usage_ledger.hpp>
#include <refmatch/vocabulary.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace refmatch {

/// Everything one reference program holds. The members are public: each store and the ledger is
/// safe for concurrent use on its own (see their headers).
///
/// **Thread safety:** `references`, `prospects` and `usage` may be read and written concurrently.
/// `quotas` is a plain value: change it only while no match runs. `vocab` is immutable.
struct program {
    explicit program(std::shared_ptr<const vocabulary> v)
        : vocab(std::move(v)), references(vocab), prospects(vocab) {
        guard_removals();
    }
    // A copy checks removals against its own ledger.
    program(const program& o)
        : vocab(o.vocab),
          quotas(o.quotas),
          references(o.references),
          prospects(o.prospects),
          usage(o.usage) {
        guard_removals();
    }

    std::shared_ptr<const vocabulary> vocab;
    quota_policy quotas;
    reference_store references;
    prospect_store prospects;
    usage_ledger usage;

    /// Records a use after checking that the reference exists and the activity is registered.
    /// @throws validation_error; the ledger is unchanged then.
    void record_usage(usage_event e) {
        check_usage(e);
        usage.record(std::move(e));
    }

    /// Records many uses in order, all or nothing: each is checked as `record_usage` checks it
    /// before any is recorded, then they go into the ledger as one batch (what loaders use).
    /// @throws validation_error for the first bad event; the ledger is unchanged then.
    void record_usage_all(std::span<const usage_event> events) {
        record_usage_all(usage_batch(events));
    }
    /// The same for events already gathered in a batch (a usage table read from a file): each
    /// distinct reference id is looked up once. O(n + distinct ids).
    void record_usage_all(usage_batch batch) {
        check_usage_all(batch, [&](std::uint32_t number) {
            return references.contains(batch.reference_id(number));
        });
        usage.record_all(std::move(batch));
    }

    /// The checks of `record_usage`. @throws validation_error.
    void check_usage(const usage_event& e) const { check_usage(e.reference_id, e.activity); }
    void check_usage(std::string_view reference_id, activity_id a) const {
        check_usage(reference_id, a, references.contains(reference_id));
    }

    /// The checks of `record_usage_all`, with `is_reference(number)` saying whether the program
    /// has the batch's reference `number` (asked once per distinct reference: what
    /// `references.contains` says, or what was marked before the store filled).
    /// @throws validation_error for the first bad event.
    template <class IsReference>
    void check_usage_all(const usage_batch& batch, IsReference&& is_reference) const {
        std::vector<bool> known(batch.reference_count(), false);
        const auto activities = vocab->activities.size();
        batch.for_each_reference([&](std::uint32_t number, activity_id a) {
            if (!known[number] || a.value >= activities) {
                const auto id = batch.reference_id(number);
                check_usage(id, a, known[number] || is_reference(number));
                known[number] = true;
            }
        });
    }

    /// The limit in force for reference `r` and activity `a`.
    [[nodiscard]] quota_limit effective_limit(const reference_customer& r, activity_id a) const {
        return r.effective_limit(a, quotas);
    }

private:
    void check_usage(std::string_view reference_id, activity_id a, bool is_reference) const {
        // The subject is built only for an error: loaders check millions of events here.
        const auto subject = [&] { return "usage of '" + std::string(reference_id) + "'"; };
        if (!is_reference)
            throw validation_error(subject(), "reference_id", "a reference id of the program",
                                   std::string(reference_id));
        if (a.value >= vocab->activities.size())
            throw validation_error(subject(), "activity", "a registered activity type",
                                   std::to_string(a.value));
    }

    // The ledger is append-only history: a reference with uses stays (retire it instead), so
    // that every program saves and reloads (usage must name a reference).
    void guard_removals() {
        references.set_removal_check([this](std::string_view id) {
            const auto ledger = usage.read();
            for (std::uint16_t a = 0; a < vocab->activities.size(); ++a)
                if (const auto day = ledger.last_use(id, activity_id{a}))
                    throw validation_error("reference '" + std::string(id) + "'", "id",
                                           "a reference without recorded uses (set its status to "
                                           "retired instead)",
                                           "uses recorded, the latest " + format_date(*day));
        });
    }
};

}  // namespace refmatch
