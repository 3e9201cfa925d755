#pragma once
/// @file utilisation.hpp
/// Utilisation of a program on a day: for every reference and every activity it consents to,
/// the quota as `evaluate_quota` states it (used, limit, last use, cooldown end) plus headroom
/// and whether it was ever used. `refmatch stats` counts these rows; `refmatch utilisation` and
/// Python's `Program.utilisation_frame` list them.

#include <refmatch/date.hpp>
#include <refmatch/live_holds.hpp>
#include <refmatch/program.hpp>
#include <refmatch/quota_state.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace refmatch {

/// One reference × activity on one day.
struct utilisation_row {
    std::string reference_id;
    std::string reference_name;
    reference_status status = reference_status::candidate;
    /// The quota of the activity (`evaluate_quota`, with the options' holds): used, limit, window,
    /// cooldown, last use, cooldown end, utilisation and the verdict.
    quota_state quota;
    /// Uses left before the limit (`max_uses − used`, 0 at or over it); nullopt without limit.
    std::optional<std::uint32_t> headroom;
    /// No use of the activity was ever recorded for the reference (on any day).
    bool never_used = true;
    /// Active and eligible by the quota rules: a match for the activity may propose it.
    [[nodiscard]] bool available() const noexcept {
        return status == reference_status::active && quota.eligible();
    }
};

/// Which rows `utilisation` lists.
struct utilisation_options {
    /// Only this activity; every activity when unset.
    std::optional<activity_id> activity;
    /// Only active references (the ones a match may propose).
    bool active_only = false;
    /// Live holds counted as uses (a request book's `hold_index_at`); none when null.
    const hold_index* holds = nullptr;
};

/// Calls `visit(const utilisation_row&)` for each utilisation row of `p` on `now`, in the order
/// of `utilisation`, without keeping them: what summaries of a large program (`refmatch stats`)
/// use, in constant memory. `visit` must not write to the program's stores or ledger (their
/// shared locks are held).
///
/// **Complexity:** O(c log m) for c consents and m uses per pair. **Thread safety:** reads the
/// stores and the ledger under their shared locks; any number of threads.
template <class Visit>
void for_each_utilisation(const program& p, date now, const utilisation_options& o, Visit&& visit) {
    const auto reader = p.usage.read();
    utilisation_row row;
    // The references' uses are looked up a group at a time: a large ledger's lookups then wait
    // for memory side by side.
    constexpr std::size_t group = 32;
    std::array<std::string_view, group> ids;
    std::vector<usage_ledger::reader::reference_uses> uses;
    p.references.for_each_group<group>([&](std::span<const stored_reference* const> refs) {
        for (std::size_t i = 0; i < refs.size(); ++i) ids[i] = refs[i]->id();
        reader.uses_of_all(std::span(ids.data(), refs.size()), uses);
        for (std::size_t i = 0; i < refs.size(); ++i) {
            const packed_reference r = refs[i]->view();
            if (o.active_only && r.status() != reference_status::active) continue;
            bool named = false;  // the row's strings, set once per reference
            r.for_each_consent([&](const activity_consent& c) {
                if (o.activity && c.activity != *o.activity) return;
                if (!named) {
                    row.reference_id = r.id();
                    row.reference_name = r.name();
                    row.status = r.status();
                    named = true;
                }
                const auto held =
                    o.holds ? o.holds->days(r.id(), c.activity) : std::span<const date>{};
                row.quota = evaluate_quota(r, c.activity, p.quotas, uses[i], now, held);
                row.headroom.reset();
                if (row.quota.max_uses)
                    row.headroom = row.quota.used >= *row.quota.max_uses
                                       ? 0u
                                       : *row.quota.max_uses - row.quota.used;
                // A use on or before `now` answers it; otherwise ask for one after it.
                row.never_used = !row.quota.last_use && !uses[i].last_use(c.activity);
                visit(std::as_const(row));
            });
        }
    });
}

/// The utilisation rows of `p` on `now`: references in id order, each with the activities it
/// consents to in consent order.
///
/// **Complexity:** O(c log m) for c consents and m uses per pair. **Thread safety:** as
/// `for_each_utilisation`.
[[nodiscard]] inline std::vector<utilisation_row> utilisation(const program& p, date now,
                                                              const utilisation_options& o = {}) {
    std::vector<utilisation_row> out;
    for_each_utilisation(p, now, o, [&](const utilisation_row& row) { out.push_back(row); });
    return out;
}

}  // namespace refmatch
