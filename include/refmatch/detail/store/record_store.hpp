#pragma once
// The machinery the reference and prospect stores share: a Boost.MultiIndex container whose
// index 0 is hashed on id and index 1 ordered on id, behind a reader/writer lock, with
// all-or-nothing batch insertion and a version counter.

#include <refmatch/error.hpp>
#include <refmatch/vocabulary.hpp>

#include <boost/mpl/size.hpp>
#include <boost/multi_index_container.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace refmatch::detail {

/// The hash of the stores' id indices. Ids that count up ("R-0000001", "R-0000002", ...) hash
/// to neighbouring values: their last eight characters are read as a number, and what comes
/// before them (with the length) is hashed as a whole and added. A store filled in id order then
/// visits its buckets in order rather than at random, which spares a million references a
/// million cache misses; other ids spread as any hash spreads them.
struct id_hash {
    std::size_t operator()(std::string_view id) const noexcept {
        const std::size_t cut = id.size() > 8 ? id.size() - 8 : 0;
        std::uint64_t tail = 0;
        for (const char c : id.substr(cut)) tail = (tail << 8) | static_cast<unsigned char>(c);
        const std::uint64_t head =
            std::hash<std::string_view>{}(id.substr(0, cut)) ^ (id.size() * 0x9E3779B97F4A7C15ull);
        return static_cast<std::size_t>(head + tail);
    }
};

// Stored must have `record()` (the value, with an `id` member) and `id()`; Derived provides
// `static Stored make_stored(const vocabulary&, Record)` which validates and resolves codes.
// Where Derived also names a `batch_type` (a packed form of many records, whose `share(i)` is
// record i's bytes) and takes `make_stored(const vocabulary&, decltype(share(i)))`, a batch is
// kept as the one allocation that its records point into.
template <class Derived, class Record, class Stored, class Indices>
class record_store {
public:
    using record_type = Record;
    using container_type = boost::multi_index_container<Stored, Indices>;

    explicit record_store(std::shared_ptr<const vocabulary> vocab) : vocab_(std::move(vocab)) {
        if (!vocab_) throw validation_error("a store needs a vocabulary");
    }
    record_store(const record_store& other) {
        std::shared_lock lock(other.mutex_);
        vocab_ = other.vocab_;
        items_ = other.items_;
        version_ = other.version_;
    }
    record_store& operator=(const record_store&) = delete;

    [[nodiscard]] const vocabulary& vocab() const noexcept { return *vocab_; }
    [[nodiscard]] const std::shared_ptr<const vocabulary>& shared_vocab() const noexcept {
        return vocab_;
    }

    /// Adds one record. @throws validation_error (duplicate id, unknown code); the store is
    /// unchanged then.
    void add(Record r) {
        std::vector<Record> one;
        one.push_back(std::move(r));
        add_all(std::move(one));
    }

    /// Adds many records, all or nothing: every record is validated (codes, duplicate ids within
    /// the batch and against the store) before any is inserted.
    void add_all(std::vector<Record> records) {
        if constexpr (requires { typename Derived::batch_type; }) {
            add_batch(typename Derived::batch_type(std::move(records)));
        } else {
            insert_all(records.size(), [&](auto&& f) {
                for (auto& r : records) f(Derived::make_stored(*vocab_, std::move(r)));
                std::vector<Record>().swap(records);
            });
        }
    }

    /// Replaces the record with the same id. @throws not_found_error, validation_error.
    void update(Record r) {
        Stored s = Derived::make_stored(*vocab_, std::move(r));
        std::unique_lock lock(mutex_);
        auto& ids = items_.template get<0>();
        const auto it = ids.find(s.id());
        if (it == ids.end()) throw missing(s.id());
        ids.replace(it, std::move(s));
        ++version_;
    }

    /// Removes a record. @throws not_found_error, or what the removal check throws (see
    /// `set_removal_check`); the store is unchanged then.
    void remove(std::string_view id) {
        if (removal_check_) removal_check_(id);
        std::unique_lock lock(mutex_);
        auto& ids = items_.template get<0>();
        const auto it = ids.find(std::string(id));
        if (it == ids.end()) throw missing(id);
        ids.erase(it);
        ++version_;
    }

    /// Installs a check run before each `remove` (by the program owning the store: a record
    /// others refer to must stay). Set it before the store is shared between threads.
    void set_removal_check(std::function<void(std::string_view)> check) {
        removal_check_ = std::move(check);
    }

    [[nodiscard]] bool contains(std::string_view id) const {
        std::shared_lock lock(mutex_);
        return items_.template get<0>().count(std::string(id)) != 0;
    }
    [[nodiscard]] std::optional<Record> find(std::string_view id) const {
        std::shared_lock lock(mutex_);
        const auto& ids = items_.template get<0>();
        const auto it = ids.find(std::string(id));
        if (it == ids.end()) return std::nullopt;
        return it->record();
    }
    /// @throws not_found_error.
    [[nodiscard]] Record at(std::string_view id) const {
        if (auto r = find(id)) return *std::move(r);
        throw missing(id);
    }
    [[nodiscard]] std::size_t size() const {
        std::shared_lock lock(mutex_);
        return items_.size();
    }
    /// Incremented by every successful change; equal versions mean equal contents.
    [[nodiscard]] std::uint64_t version() const {
        std::shared_lock lock(mutex_);
        return version_;
    }
    /// All records in ascending id order (a copy).
    [[nodiscard]] std::vector<Record> all() const {
        std::vector<Record> out;
        for_each([&](const Stored& s) { out.push_back(s.record()); });
        return out;
    }
    /// Calls `f(const Stored&)` for every record in ascending id order, under the shared lock:
    /// `f` must not call the store's writers.
    template <class F>
    void for_each(F&& f) const {
        std::shared_lock lock(mutex_);
        for (const auto& s : items_.template get<1>()) f(s);
    }

    /// Calls `f(std::span<const Stored* const>)` with the records in ascending id order, `Group`
    /// at a time (the last group may hold fewer), under the shared lock as `for_each`: for a pass
    /// that looks the records of a group up elsewhere together.
    template <std::size_t Group, class F>
    void for_each_group(F&& f) const {
        std::shared_lock lock(mutex_);
        std::array<const Stored*, Group> group;
        std::size_t n = 0;
        for (const auto& s : items_.template get<1>()) {
            group[n++] = &s;
            if (n == Group) {
                f(std::span<const Stored* const>(group.data(), n));
                n = 0;
            }
        }
        if (n) f(std::span<const Stored* const>(group.data(), n));
    }

protected:
    // add_all of a packed batch (Derived::batch_type): its records are kept where they are.
    template <class Batch>
    void add_batch(Batch batch) {
        insert_all(batch.size(), [&](auto&& f) {
            for (std::size_t i = 0; i < batch.size(); ++i)
                f(Derived::make_stored(*vocab_, batch.share(i)));
        });
    }

    // The insertion of add_all: `feed(f)` calls `f(Stored)` for each of the `n` records, in
    // order. Into an empty store (a program being loaded) each goes straight into its node, with
    // the same checks and without a staged copy of the whole batch; an error empties the store
    // again.
    template <class Feed>
    void insert_all(std::size_t n, Feed&& feed) {
        {
            std::unique_lock lock(mutex_);
            if (items_.empty()) return fill(n, feed);
        }
        std::vector<Stored> staged;
        staged.reserve(n);
        // Duplicates within the batch: while ids ascend (a file in id order) only the one before
        // can be equal; from the first id out of order, a hash set of the ids so far.
        bool sorted = true;
        std::unordered_set<std::string_view> batch_ids;  // views into `staged`, which never grows
        feed([&](Stored s) {
            staged.push_back(std::move(s));
            const std::string_view id = staged.back().id();
            if (sorted && staged.size() > 1) {
                const std::string_view before = staged[staged.size() - 2].id();
                if (before == id) throw duplicate(id);
                if (id < before) {
                    sorted = false;
                    batch_ids.reserve(2 * staged.size());
                    for (std::size_t i = 0; i + 1 < staged.size(); ++i)
                        batch_ids.insert(staged[i].id());
                }
            }
            if (!sorted && !batch_ids.insert(id).second) throw duplicate(id);
        });
        std::unique_lock lock(mutex_);
        auto& ids = items_.template get<0>();
        auto& ordered = items_.template get<1>();
        // Records that come in id order after every stored id (a file being loaded) cannot clash
        // with the store, and go in at the end of the ordered id index in amortised O(1) rather
        // than O(log n).
        const bool after_all = sorted && (ordered.empty() || staged.empty() ||
                                          ordered.rbegin()->id() < staged.front().id());
        if (!after_all)
            for (const auto& s : staged)
                if (ids.count(s.id())) throw duplicate(s.id());
        reserve_hashed(items_.size() + staged.size());
        for (auto& s : staged) {
            if (after_all)
                ordered.insert(ordered.end(), std::move(s));
            else
                items_.insert(std::move(s));
        }
        ++version_;
    }

    // insert_all into the empty store, under the exclusive lock.
    template <class Feed>
    void fill(std::size_t n, Feed& feed) {
        auto& ordered = items_.template get<1>();
        reserve_hashed(n);
        try {
            feed([&](Stored s) {
                // In id order (a file being loaded) each goes in at the end in O(1).
                const auto before = items_.size();
                const auto it = ordered.insert(ordered.end(), std::move(s));
                if (items_.size() == before) throw duplicate(it->id());
            });
        } catch (...) {
            items_.clear();
            throw;
        }
        ++version_;
    }

    // Gives every hashed index room for `n` records, so that none is rehashed (every node
    // relinked) again and again while a large batch goes in.
    void reserve_hashed(std::size_t n) {
        constexpr std::size_t count =
            boost::mpl::size<typename container_type::index_type_list>::value;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            const auto reserve = [n](auto& index) {
                if constexpr (requires { index.reserve(n); }) index.reserve(n);
            };
            (reserve(items_.template get<I>()), ...);
        }
        (std::make_index_sequence<count>{});
    }

    // Copies the records whose key in index `Index` (hashed or ordered) is one of `keys`.
    template <std::size_t Index, class Keys>
    std::vector<Record> with_keys(const Keys& keys) const {
        std::shared_lock lock(mutex_);
        const auto& index = items_.template get<Index>();
        std::vector<Record> out;
        for (const auto& key : keys)
            for (auto [it, end] = index.equal_range(key); it != end; ++it)
                out.push_back(it->record());
        return out;
    }

    // Copies the records of the range [lo, hi) of the ordered index `Index`.
    template <std::size_t Index, class Key>
    std::vector<Record> range(const Key& lo, const Key& hi) const {
        std::shared_lock lock(mutex_);
        const auto& index = items_.template get<Index>();
        std::vector<Record> out;
        for (auto it = index.lower_bound(lo), end = index.lower_bound(hi); it != end; ++it)
            out.push_back(it->record());
        return out;
    }

    validation_error duplicate(std::string_view id) const {
        return validation_error(std::string(Derived::noun) + " '" + std::string(id) +
                                "': id is already in the store");
    }
    not_found_error missing(std::string_view id) const {
        return not_found_error("no " + std::string(Derived::noun) + " '" + std::string(id) +
                               "' in the store");
    }

    std::shared_ptr<const vocabulary> vocab_;
    container_type items_;
    std::uint64_t version_ = 0;
    mutable std::shared_mutex mutex_;
    std::function<void(std::string_view)> removal_check_;
};

}  // namespace refmatch::detail
