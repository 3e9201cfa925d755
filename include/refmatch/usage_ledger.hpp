#pragma once
/// @file usage_ledger.hpp
/// The usage ledger: which reference did which activity for which opportunity on which day. It is
/// the source of truth for quotas, fatigue and influence.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/detail/id_pool.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace refmatch {

/// One use of a reference.
struct usage_event {
    std::string reference_id;
    activity_id activity;
    std::string opportunity_id;  ///< the prospect/opportunity it was for (may be empty)
    date day;
    bool operator==(const usage_event&) const = default;
};

/// Events gathered to be recorded together by `usage_ledger::record_all`: a file being
/// loaded, the usage table of a program being assembled. Building a batch takes no lock and
/// keeps ids interned (about 16 bytes per event, against some 80 for a `usage_event`).
///
/// **Thread safety:** a plain value: one thread at a time.
class usage_batch {
public:
    usage_batch() = default;
    /// The events, in order. O(n).
    explicit usage_batch(std::span<const usage_event> events) {
        for (const auto& e : events) add(e);
    }

    void add(std::string_view reference_id, activity_id a, std::string_view opportunity_id,
             date day) {
        // Files list a reference's uses together: the id of the last event is likely again.
        if (size_ == 0 || reference_id != references_.at(last_reference_))
            last_reference_ = references_.intern(reference_id);
        push({last_reference_, opportunities_.intern(opportunity_id), day_number(day), a.value});
    }
    void add(const usage_event& e) { add(e.reference_id, e.activity, e.opportunity_id, e.day); }

    /// One event with its ids as text (a row being read), for `add_all`.
    struct row {
        std::string_view reference_id;
        activity_id activity;
        std::string_view opportunity_id;
        date day;
    };
    /// The same as `add` for each row in order, with the id lookups of the rows made together
    /// (`id_pool::intern_all`): several times faster than one by one when the ids are many and
    /// out of order, as in a large ledger read in recording order. O(rows).
    void add_all(std::span<const row> rows) {
        if (rows.empty()) return;
        std::vector<std::uint32_t> refs(rows.size()), opps(rows.size());
        intern_runs(references_, rows, &row::reference_id, refs);
        intern_runs(opportunities_, rows, &row::opportunity_id, opps);
        for (std::size_t i = 0; i < rows.size(); ++i)
            push({refs[i], opps[i], day_number(rows[i].day), rows[i].activity.value});
        last_reference_ = refs.back();
    }

    /// Adds the events of `other` after these (a file read in parts). O(|other| + its ids).
    void append(usage_batch&& other) {
        if (size_ == 0) {
            *this = std::move(other);
            return;
        }
        const auto numbers_in = [](detail::id_pool& ours, const detail::id_pool& theirs) {
            std::vector<std::string_view> ids(theirs.size());
            for (std::uint32_t i = 0; i < ids.size(); ++i) ids[i] = theirs.at(i);
            std::vector<std::uint32_t> numbers(ids.size());
            ours.intern_all(ids, numbers);
            return numbers;
        };
        const auto refs = numbers_in(references_, other.references_);
        const auto opps = numbers_in(opportunities_, other.opportunities_);
        for (auto& block : other.blocks_) {
            for (const auto& e : block)
                push({refs[e.reference], opps[e.opportunity], e.day, e.activity});
            std::vector<entry>().swap(block);
        }
        other = usage_batch{};
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    /// The number of distinct reference ids among the events.
    [[nodiscard]] std::size_t reference_count() const noexcept { return references_.size(); }

    /// Calls `f(reference_id, activity, opportunity_id, day, reference_number)` for each event in
    /// order; `reference_number` numbers the distinct reference ids from 0 (below
    /// `reference_count()`), so that a check of each id can be made once. O(n).
    template <class F>
    void for_each(F&& f) const {
        for (const auto& block : blocks_)
            for (const auto& e : block)
                f(references_.at(e.reference), activity_id{e.activity},
                  opportunities_.at(e.opportunity), date{std::chrono::days{e.day}}, e.reference);
    }

    /// Calls `f(reference_number, activity)` for each event in order: `for_each` without the
    /// ids' text, for a check of each reference once (see `reference_id`). O(n), sequential.
    template <class F>
    void for_each_reference(F&& f) const {
        for (const auto& block : blocks_)
            for (const auto& e : block) f(e.reference, activity_id{e.activity});
    }
    /// The reference id numbered `number` (below `reference_count()`).
    [[nodiscard]] std::string_view reference_id(std::uint32_t number) const {
        return references_.at(number);
    }
    /// The number of reference id `id` among the events, if any event names it.
    [[nodiscard]] std::optional<std::uint32_t> reference_number(std::string_view id) const {
        return references_.find(id);
    }
    /// `out[i] = reference_number(ids[i])` for each i, the lookups of a group made together
    /// (`id_pool::find_all`). O(|ids|) expected.
    void reference_numbers(std::span<const std::string_view> ids,
                           std::span<std::optional<std::uint32_t>> out) const {
        references_.find_all(ids, out);
    }

    /// The events as values, in order. O(n).
    [[nodiscard]] std::vector<usage_event> events() const {
        std::vector<usage_event> out;
        out.reserve(size_);
        for_each([&](std::string_view r, activity_id a, std::string_view o, date d, auto) {
            out.push_back({std::string(r), a, std::string(o), d});
        });
        return out;
    }

    /// Equal events in the same order.
    bool operator==(const usage_batch& other) const {
        if (size_ != other.size_) return false;
        return events() == other.events();
    }

    /// Days are stored as day numbers (days since 1970-01-01).
    static std::int32_t day_number(date d) {
        return static_cast<std::int32_t>(d.time_since_epoch().count());
    }

private:
    // `numbers[i]` = the number of `rows[i].*id` in `pool`, interned; each run of one id (a
    // reference's uses listed together, the empty opportunity id of most uses) looked up once.
    static void intern_runs(detail::id_pool& pool, std::span<const row> rows,
                            std::string_view row::*id, std::span<std::uint32_t> numbers) {
        // Each row compared with the one before once: `numbers` first holds each row's run.
        std::vector<std::string_view> firsts;  // the id of each run
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (i == 0 || rows[i].*id != rows[i - 1].*id) firsts.push_back(rows[i].*id);
            numbers[i] = static_cast<std::uint32_t>(firsts.size() - 1);
        }
        std::vector<std::uint32_t> first_numbers(firsts.size());
        pool.intern_all(firsts, first_numbers);
        for (auto& n : numbers) n = first_numbers[n];
    }

    friend class usage_ledger;
    struct entry {
        std::uint32_t reference;
        std::uint32_t opportunity;
        std::int32_t day;
        std::uint16_t activity;
    };
    void push(const entry& e) {
        if (blocks_.empty() || blocks_.back().size() == block_size) {
            blocks_.emplace_back();
            blocks_.back().reserve(block_size);
        }
        blocks_.back().push_back(e);
        ++size_;
    }
    // Blocks rather than one vector: recording frees them one by one as it copies them.
    static constexpr std::size_t block_size = 1 << 16;
    detail::id_pool references_, opportunities_;
    std::vector<std::vector<entry>> blocks_;
    std::size_t size_ = 0;
    std::uint32_t last_reference_ = 0;
};

/// Append-only record of usage events, indexed for quota questions.
///
/// Storage is columnar and interned: reference and opportunity ids are numbered once (see
/// `detail::id_pool`), days are day numbers, and events are grouped by reference, sorted by
/// (activity, day) within each, in four columns (activity, day, opportunity, recording
/// position): about 14 bytes per event plus the ids' characters. Events recorded one by one wait
/// in a small hashed side index until there are enough of them (an eighth of the ledger) to
/// merge into the columns in one pass; a `usage_batch` is merged at once.
///
/// **Complexity:** `used`, `last_use`, `summary` O(log m) for the m events of that reference,
/// after an O(1) expected id lookup; `record(usage_event)` amortised O(1) plus O(log m') for the
/// m' recent events of its (reference, activity) pair; `record_all` O(n + b log b') for
/// n events held, b added and b' the largest number of events of one reference; `events()` O(n).
///
/// **Thread safety:** safe for concurrent use. `record` takes an exclusive lock; queries take a
/// shared lock each. To ask many questions against one consistent state (the engine does this
/// for a whole match), hold a `reader` from `read()`: it keeps the shared lock for its lifetime,
/// so `record` calls wait until it is gone. Never call `record` on the same thread while holding
/// a reader.
class usage_ledger {
public:
    usage_ledger() = default;
    usage_ledger(const usage_ledger& other) {
        std::shared_lock lock(other.mutex_);
        state_ = other.state_;
    }
    usage_ledger& operator=(const usage_ledger& other) {
        if (this != &other) {
            usage_ledger copy(other);
            std::scoped_lock lock(mutex_);
            state_ = std::move(copy.state_);
        }
        return *this;
    }

    /// Appends an event.
    void record(usage_event e) {
        std::unique_lock lock(mutex_);
        state_.add_recent(e);
    }

    /// Appends every event of `batch`, in its order, after the events already recorded, in one
    /// pass over the ledger (cheaper than `record` for each when loading a file).
    void record_all(usage_batch batch) {
        std::unique_lock lock(mutex_);
        state_.merge(&batch);
    }

private:
    struct state;  // the columns (below)

public:
    /// A consistent view for many queries; holds a shared lock until destroyed.
    class reader {
    public:
        /// The use count in the window `(now − window_days, now]` and the latest use on or
        /// before `now`, with one lookup (the engine's quota check).
        struct usage_summary {
            std::uint32_t used = 0;
            std::optional<date> last_use;
        };
        [[nodiscard]] usage_summary summary(std::string_view reference, activity_id a,
                                            std::uint32_t window_days, date now) const {
            return ledger_->state_.summary(reference, a, window_days, now);
        }
        /// Uses of `a` by `reference` in the window `(now − window_days, now]`.
        [[nodiscard]] std::uint32_t used(std::string_view reference, activity_id a,
                                         std::uint32_t window_days, date now) const {
            return summary(reference, a, window_days, now).used;
        }
        /// The latest use of `a` by `reference` on or before `now`, if any.
        [[nodiscard]] std::optional<date> last_use(std::string_view reference, activity_id a,
                                                   date now) const {
            return summary(reference, a, 1, now).last_use;
        }
        /// The latest use of `a` by `reference`, whatever its day.
        [[nodiscard]] std::optional<date> last_use(std::string_view reference,
                                                   activity_id a) const {
            return summary(reference, a, 1, date::max()).last_use;
        }
        /// The uses of one reference, found once for many questions (the quota of each activity
        /// it consents to). Valid while the reader is.
        class reference_uses {
        public:
            /// As `reader::summary` for this reference.
            [[nodiscard]] usage_summary summary(activity_id a, std::uint32_t window_days,
                                                date now) const {
                return state_->summary(number_, a, window_days, now);
            }
            /// The latest use of `a`, whatever its day.
            [[nodiscard]] std::optional<date> last_use(activity_id a) const {
                return summary(a, 1, date::max()).last_use;
            }

        private:
            friend class reader;
            reference_uses(const state& s, std::optional<std::uint32_t> number)
                : state_(&s), number_(number) {}
            const state* state_;
            std::optional<std::uint32_t> number_;  // none: the reference has no use
        };
        [[nodiscard]] reference_uses uses_of(std::string_view reference) const {
            return {ledger_->state_, ledger_->state_.references.find(reference)};
        }
        /// `out[i] = uses_of(references[i])` for each i (`out` is replaced), the lookups begun
        /// together (`id_pool::find_all`): a pass over a whole program's references waits for
        /// memory once per group instead of once per reference.
        void uses_of_all(std::span<const std::string_view> references,
                         std::vector<reference_uses>& out) const {
            std::vector<std::optional<std::uint32_t>> numbers(references.size());
            ledger_->state_.references.find_all(references, numbers);
            out.clear();
            for (const auto& n : numbers) out.push_back({ledger_->state_, n});
        }

        /// All events, in the order they were recorded (rebuilt from the columns: O(n)).
        [[nodiscard]] std::vector<usage_event> events() const { return ledger_->state_.events(); }
        /// The number of events.
        [[nodiscard]] std::size_t size() const noexcept { return ledger_->state_.size; }
        /// The earliest and the latest day of any event (none when the ledger is empty).
        [[nodiscard]] std::optional<date> first_day() const { return ledger_->state_.first_day(); }
        [[nodiscard]] std::optional<date> last_day() const { return ledger_->state_.last_day(); }

    private:
        friend class usage_ledger;
        explicit reader(const usage_ledger& l) : ledger_(&l), lock_(l.mutex_) {}
        const usage_ledger* ledger_;
        std::shared_lock<std::shared_mutex> lock_;
    };

    [[nodiscard]] reader read() const { return reader(*this); }

    [[nodiscard]] std::uint32_t used(std::string_view reference, activity_id a,
                                     std::uint32_t window_days, date now) const {
        return read().used(reference, a, window_days, now);
    }
    [[nodiscard]] std::optional<date> last_use(std::string_view reference, activity_id a,
                                               date now) const {
        return read().last_use(reference, a, now);
    }
    [[nodiscard]] std::optional<date> last_use(std::string_view reference, activity_id a) const {
        return read().last_use(reference, a);
    }
    [[nodiscard]] std::size_t size() const {
        std::shared_lock lock(mutex_);
        return state_.size;
    }
    /// A copy of all events in recording order.
    [[nodiscard]] std::vector<usage_event> events() const { return read().events(); }
    /// A copy of all events in recording order, as a batch (ids interned). O(n).
    [[nodiscard]] usage_batch batch() const {
        std::shared_lock lock(mutex_);
        return state_.batch();
    }
    /// The earliest and the latest day of any event (none when the ledger is empty).
    [[nodiscard]] std::optional<date> first_day() const { return read().first_day(); }
    [[nodiscard]] std::optional<date> last_day() const { return read().last_day(); }
    /// Bytes the ledger holds (its buffers' capacity), for memory accounting.
    [[nodiscard]] std::size_t memory_bytes() const {
        std::shared_lock lock(mutex_);
        return state_.memory_bytes();
    }

private:
    struct state {
        using entry = usage_batch::entry;
        static constexpr std::size_t min_recent = 4096;

        detail::id_pool references, opportunities;
        // The columns: the events of reference r are [begin[r], begin[r + 1]), sorted by
        // (activity, day, seq). References interned after the last merge have no entry in begin.
        std::vector<std::uint32_t> begin{0};
        std::vector<std::uint16_t> activity;
        std::vector<std::int32_t> day;
        std::vector<std::uint32_t> opportunity;
        std::vector<std::uint32_t> seq;  // position in recording order
        // Events recorded one by one since the last merge, in recording order, and their days
        // per (reference, activity), sorted.
        std::vector<entry> recent;
        std::unordered_map<std::uint64_t, std::vector<std::int32_t>> recent_days;
        std::size_t size = 0;
        std::int32_t min_day = std::numeric_limits<std::int32_t>::max();
        std::int32_t max_day = std::numeric_limits<std::int32_t>::min();

        static std::uint64_t key(std::uint32_t reference, std::uint16_t a) {
            return (std::uint64_t{reference} << 16) | a;
        }
        static date to_date(std::int32_t d) { return date{std::chrono::days{d}}; }

        void note_day(std::int32_t d) {
            min_day = std::min(min_day, d);
            max_day = std::max(max_day, d);
        }
        std::optional<date> first_day() const {
            return size ? std::optional<date>(to_date(min_day)) : std::nullopt;
        }
        std::optional<date> last_day() const {
            return size ? std::optional<date>(to_date(max_day)) : std::nullopt;
        }

        void add_recent(const usage_event& e) {
            check_room(1);
            const entry x{references.intern(e.reference_id), opportunities.intern(e.opportunity_id),
                          usage_batch::day_number(e.day), e.activity.value};
            recent.push_back(x);
            auto& days = recent_days[key(x.reference, x.activity)];
            days.insert(std::upper_bound(days.begin(), days.end(), x.day), x.day);
            ++size;
            note_day(x.day);
            if (recent.size() > std::max(min_recent, activity.size() / 8)) merge(nullptr);
        }

        void check_room(std::size_t more) const {
            if (size + more > std::numeric_limits<std::uint32_t>::max())
                throw std::length_error("usage_ledger: more than 2^32 - 1 events");
        }

        // Merges the recent events and then `batch` (if any) into the columns.
        void merge(usage_batch* batch) {
            std::vector<std::uint32_t> ref_map, opp_map;  // batch numbering -> ours
            if (batch) {
                check_room(batch->size());
                if (size == 0 && references.size() == 0 && opportunities.size() == 0) {
                    references = std::move(batch->references_);
                    opportunities = std::move(batch->opportunities_);
                } else {
                    ref_map.resize(batch->references_.size());
                    for (std::uint32_t i = 0; i < ref_map.size(); ++i)
                        ref_map[i] = references.intern(batch->references_.at(i));
                    opp_map.resize(batch->opportunities_.size());
                    for (std::uint32_t i = 0; i < opp_map.size(); ++i)
                        opp_map[i] = opportunities.intern(batch->opportunities_.at(i));
                }
            }
            const auto ref_of = [&](std::uint32_t r) { return ref_map.empty() ? r : ref_map[r]; };
            const auto opp_of = [&](std::uint32_t o) { return opp_map.empty() ? o : opp_map[o]; };

            const std::size_t refs = references.size();
            const std::size_t old_refs = begin.size() - 1;
            std::vector<std::uint32_t> next_begin(refs + 1, 0);
            for (std::size_t r = 0; r < old_refs; ++r) next_begin[r + 1] = begin[r + 1] - begin[r];
            for (const auto& e : recent) ++next_begin[e.reference + 1];
            if (batch)
                for (const auto& block : batch->blocks_)
                    for (const auto& e : block) ++next_begin[ref_of(e.reference) + 1];
            for (std::size_t r = 0; r < refs; ++r) next_begin[r + 1] += next_begin[r];
            const std::size_t total = next_begin[refs];

            std::vector<std::uint16_t> a(total);
            std::vector<std::int32_t> d(total);
            std::vector<std::uint32_t> o(total), s(total);
            std::vector<std::uint32_t> cursor(next_begin.begin(), next_begin.end() - 1);
            for (std::size_t r = 0; r < old_refs; ++r) {
                const auto from = begin[r], to = begin[r + 1];
                std::copy(activity.begin() + from, activity.begin() + to, a.begin() + cursor[r]);
                std::copy(day.begin() + from, day.begin() + to, d.begin() + cursor[r]);
                std::copy(opportunity.begin() + from, opportunity.begin() + to,
                          o.begin() + cursor[r]);
                std::copy(seq.begin() + from, seq.begin() + to, s.begin() + cursor[r]);
                cursor[r] += to - from;
            }
            const std::size_t merged_before = activity.size();
            std::vector<bool> touched(refs, false);
            const auto place = [&](std::uint32_t r, const entry& e, std::size_t position) {
                const auto i = cursor[r]++;
                a[i] = e.activity;
                d[i] = e.day;
                o[i] = e.opportunity;
                s[i] = static_cast<std::uint32_t>(position);
                touched[r] = true;
            };
            // Recent events were numbered after the merged ones, in recording order.
            for (std::size_t k = 0; k < recent.size(); ++k)
                place(recent[k].reference, recent[k], merged_before + k);
            std::size_t position = merged_before + recent.size();
            if (batch) {
                for (auto& block : batch->blocks_) {
                    for (const auto& e : block) {
                        entry x = e;
                        x.opportunity = opp_of(e.opportunity);
                        note_day(x.day);
                        place(ref_of(e.reference), x, position++);
                    }
                    std::vector<entry>().swap(block);
                }
            }
            release(activity);
            release(day);
            release(opportunity);
            release(seq);
            struct row {
                std::uint16_t activity;
                std::int32_t day;
                std::uint32_t opportunity, seq;
            };
            std::vector<row> rows;
            for (std::size_t r = 0; r < refs; ++r) {
                if (!touched[r]) continue;
                const auto from = next_begin[r], to = next_begin[r + 1];
                rows.clear();
                for (auto i = from; i < to; ++i) rows.push_back({a[i], d[i], o[i], s[i]});
                std::sort(rows.begin(), rows.end(), [](const row& x, const row& y) {
                    if (x.activity != y.activity) return x.activity < y.activity;
                    if (x.day != y.day) return x.day < y.day;
                    return x.seq < y.seq;
                });
                for (auto i = from; i < to; ++i) {
                    const auto& x = rows[i - from];
                    a[i] = x.activity;
                    d[i] = x.day;
                    o[i] = x.opportunity;
                    s[i] = x.seq;
                }
            }
            begin = std::move(next_begin);
            activity = std::move(a);
            day = std::move(d);
            opportunity = std::move(o);
            seq = std::move(s);
            release(recent);
            recent_days.clear();
            size = total;
            if (batch) {
                references.shrink_to_fit();
                opportunities.shrink_to_fit();
            }
        }
        template <class T>
        static void release(std::vector<T>& v) {
            std::vector<T>().swap(v);
        }

        usage_ledger::reader::usage_summary summary(std::string_view reference_id, activity_id a,
                                                    std::uint32_t window_days, date now) const {
            return summary(references.find(reference_id), a, window_days, now);
        }
        usage_ledger::reader::usage_summary summary(std::optional<std::uint32_t> r, activity_id a,
                                                    std::uint32_t window_days, date now) const {
            usage_ledger::reader::usage_summary out;
            if (!r) return out;
            // Clamped so that subtracting the window cannot overflow (stored days are int32).
            const std::int64_t hi_day = std::clamp<std::int64_t>(
                now.time_since_epoch().count(), -(std::int64_t{1} << 40), std::int64_t{1} << 40);
            const std::int64_t lo_day = hi_day - window_days;  // excluded
            std::optional<std::int32_t> last;
            const auto count = [&](auto first, auto end) {
                const auto hi = std::upper_bound(first, end, hi_day);
                const auto lo = std::upper_bound(first, hi, lo_day);
                out.used += static_cast<std::uint32_t>(hi - lo);
                if (hi != first) last = std::max(last.value_or(*(hi - 1)), *(hi - 1));
            };
            if (*r + 1 < begin.size()) {
                const auto acts_begin = activity.begin() + begin[*r];
                const auto acts_end = activity.begin() + begin[*r + 1];
                const auto [from, to] = std::equal_range(acts_begin, acts_end, a.value);
                count(day.begin() + (from - activity.begin()),
                      day.begin() + (to - activity.begin()));
            }
            if (!recent_days.empty())
                if (const auto it = recent_days.find(key(*r, a.value)); it != recent_days.end())
                    count(it->second.begin(), it->second.end());
            if (last) out.last_use = to_date(*last);
            return out;
        }

        std::vector<usage_event> events() const {
            std::vector<usage_event> out(size);
            const auto put = [&](std::uint32_t r, std::uint16_t a, std::uint32_t o, std::int32_t d,
                                 std::size_t position) {
                auto& e = out[position];
                e.reference_id = references.at(r);
                e.activity = activity_id{a};
                e.opportunity_id = opportunities.at(o);
                e.day = to_date(d);
            };
            for (std::uint32_t r = 0; r + 1 < begin.size(); ++r)
                for (auto i = begin[r]; i < begin[r + 1]; ++i)
                    put(r, activity[i], opportunity[i], day[i], seq[i]);
            for (std::size_t k = 0; k < recent.size(); ++k)
                put(recent[k].reference, recent[k].activity, recent[k].opportunity, recent[k].day,
                    activity.size() + k);
            return out;
        }

        usage_batch batch() const {
            usage_batch out;
            out.references_ = references;
            out.opportunities_ = opportunities;
            std::vector<entry> all(size);
            for (std::uint32_t r = 0; r + 1 < begin.size(); ++r)
                for (auto i = begin[r]; i < begin[r + 1]; ++i)
                    all[seq[i]] = {r, opportunity[i], day[i], activity[i]};
            std::copy(recent.begin(), recent.end(), all.begin() + activity.size());
            for (const auto& e : all) out.push(e);
            if (!all.empty()) out.last_reference_ = all.back().reference;
            return out;
        }

        std::size_t memory_bytes() const {
            std::size_t n = references.memory_bytes() + opportunities.memory_bytes() +
                            begin.capacity() * 4 + activity.capacity() * 2 + day.capacity() * 4 +
                            opportunity.capacity() * 4 + seq.capacity() * 4 +
                            recent.capacity() * sizeof(entry);
            for (const auto& [k, v] : recent_days) n += 48 + v.capacity() * 4;
            return n;
        }
    };

    mutable std::shared_mutex mutex_;
    state state_;
};

}  // namespace refmatch
