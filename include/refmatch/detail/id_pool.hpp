#pragma once
// Interned ids: each distinct string is kept once, in one buffer, and named by a dense number
// (0, 1, 2, ... in order of first sight). The usage ledger stores these numbers instead of
// strings: a million reference ids cost their characters plus about 12 bytes each.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::detail {

class id_pool {
public:
    using index_type = std::uint32_t;

    /// The number of `id`, added when new. Amortised O(|id|).
    index_type intern(std::string_view id) { return intern(id, hash(id)); }

    /// `out[i] = intern(ids[i])` for each i in order. The lookups of a group of ids are begun
    /// together, each in stages (its slot, then the id the slot names) that only hint the
    /// memory to the cache: a large pool's lookups wait for memory, and this way they wait
    /// side by side instead of one after another. O(|ids| + their characters), amortised.
    void intern_all(std::span<const std::string_view> ids, std::span<index_type> out) {
        std::array<std::size_t, group> hashes;
        for (std::size_t from = 0; from < ids.size(); from += group) {
            const auto some = ids.subspan(from, std::min(group, ids.size() - from));
            if (2 * (size() + some.size()) > slots_.size()) grow(size() + some.size());
            hint_lookups(some, hashes);
            for (std::size_t i = 0; i < some.size(); ++i)
                out[from + i] = intern(some[i], hashes[i]);
        }
    }

    /// The number of `id` if it was interned. O(|id|) expected.
    [[nodiscard]] std::optional<index_type> find(std::string_view id) const {
        return find(id, hash(id));
    }

    /// `out[i] = find(ids[i])` for each i, the lookups of a group begun together as in
    /// `intern_all` (what a pass over many ids, such as every reference of a program, wants).
    void find_all(std::span<const std::string_view> ids,
                  std::span<std::optional<index_type>> out) const {
        std::array<std::size_t, group> hashes{};
        for (std::size_t from = 0; from < ids.size(); from += group) {
            const auto some = ids.subspan(from, std::min(group, ids.size() - from));
            hint_lookups(some, hashes);
            for (std::size_t i = 0; i < some.size(); ++i) out[from + i] = find(some[i], hashes[i]);
        }
    }

    [[nodiscard]] std::string_view at(index_type i) const {
        const std::uint32_t begin = begin_of(i);
        return std::string_view(chars_).substr(begin, ends_[i] - begin);
    }
    [[nodiscard]] std::size_t size() const noexcept { return ends_.size(); }

    /// Gives back the room kept for more ids (after loading a file).
    void shrink_to_fit() {
        chars_.shrink_to_fit();
        ends_.shrink_to_fit();
    }

    /// Bytes held (capacity, not just size).
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return chars_.capacity() + ends_.capacity() * sizeof(std::uint32_t) +
               slots_.capacity() * sizeof(index_type);
    }

private:
    static constexpr index_type empty_slot = static_cast<index_type>(-1);
    static constexpr std::size_t max_chars = std::uint32_t(-1);

    static constexpr std::size_t group = 32;

    static std::size_t hash(std::string_view s) noexcept {
        return std::hash<std::string_view>{}(s);
    }

    // Hashes a group of ids (at most `group`) into `hashes` and hints the memory their lookups
    // will read to the cache, in stages: the slots, then the ends of the ids they name, then
    // their characters.
    void hint_lookups(std::span<const std::string_view> ids,
                      std::array<std::size_t, group>& hashes) const {
        if (slots_.empty()) return;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            hashes[i] = hash(ids[i]);
            __builtin_prefetch(&slots_[hashes[i] & mask]);
        }
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (const auto index = slots_[hashes[i] & mask]; index != empty_slot)
                __builtin_prefetch(&ends_[index]);
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (const auto index = slots_[hashes[i] & mask]; index != empty_slot)
                __builtin_prefetch(chars_.data() + begin_of(index));
    }

    [[nodiscard]] std::optional<index_type> find(std::string_view id,
                                                 std::size_t hash_of_id) const {
        if (slots_.empty()) return std::nullopt;
        std::size_t slot = hash_of_id & (slots_.size() - 1);
        while (slots_[slot] != empty_slot) {
            if (at(slots_[slot]) == id) return slots_[slot];
            slot = (slot + 1) & (slots_.size() - 1);
        }
        return std::nullopt;
    }
    [[nodiscard]] std::uint32_t begin_of(index_type i) const { return i == 0 ? 0 : ends_[i - 1]; }

    index_type intern(std::string_view id, std::size_t hash_of_id) {
        if (2 * (size() + 1) > slots_.size()) grow(size() + 1);
        std::size_t slot = hash_of_id & (slots_.size() - 1);
        while (slots_[slot] != empty_slot) {
            if (at(slots_[slot]) == id) return slots_[slot];
            slot = (slot + 1) & (slots_.size() - 1);
        }
        if (chars_.size() + id.size() > max_chars)
            throw std::length_error("id_pool: more than 4 GiB of ids");
        const auto index = static_cast<index_type>(size());
        chars_.append(id);
        ends_.push_back(static_cast<std::uint32_t>(chars_.size()));
        slots_[slot] = index;
        return index;
    }

    // Doubles the slots until `ids` ids leave them at most half full.
    void grow(std::size_t ids) {
        std::size_t count = slots_.empty() ? 64 : 2 * slots_.size();
        while (2 * ids > count) count *= 2;
        std::vector<index_type> slots(count, empty_slot);
        for (index_type i = 0; i < size(); ++i) {
            std::size_t slot = hash(at(i)) & (slots.size() - 1);
            while (slots[slot] != empty_slot) slot = (slot + 1) & (slots.size() - 1);
            slots[slot] = i;
        }
        slots_ = std::move(slots);
    }

    std::string chars_;                // the ids, one after another
    std::vector<std::uint32_t> ends_;  // where id i ends in chars_
    std::vector<index_type> slots_;    // open addressing, at most half full
};

}  // namespace refmatch::detail
