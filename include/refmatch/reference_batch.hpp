#pragma once
/// @file reference_batch.hpp
/// References packed into bytes: how a store keeps them, and a batch of them that a store takes
/// in without copying.
///
/// A `reference_customer` takes about 480 bytes at a million references (272 in the record,
/// the rest in the heap blocks of its name, products and consents). Packed, the same record takes
/// about 100: every field one after another, sizes and small numbers as variable-length integers.
/// A `packed_reference` reads one in place; `unpack` makes the record again, equal to the one
/// packed (doubles keep their bits).

#include <refmatch/reference.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace refmatch {

namespace detail {

// The layout of a packed reference, written by `encode` and read by `packed_reference`:
//   4 bytes     flags (which optional fields are present), status, size band, NPS answer
//   id          varint size, bytes
//   consents    varint count; each: varint activity, a byte saying which limit fields follow,
//               then varints max uses, window days, cooldown days as present
//   name, industry, country, owner     each a varint size and bytes
//   products    varint count; each a varint size and bytes
//   CSAT, health (8 bytes each), last contact (4 bytes, days since 1970), when present.
// The id and the consents come first: the store's indices and the quota rule read them without
// skipping anything.
enum packed_flag : std::uint8_t {
    has_size = 1,
    has_nps = 2,
    has_csat = 4,
    has_health = 8,
    has_last_contact = 16,
};
enum packed_limit_flag : std::uint8_t { has_limit = 1, has_max_uses = 2 };

// Counts the bytes `encode` would write.
struct byte_counter {
    std::size_t size = 0;
    void byte(std::uint8_t) { ++size; }
    void varint(std::uint64_t v) {
        do {
            ++size;
            v >>= 7;
        } while (v);
    }
    void raw(const void*, std::size_t n) { size += n; }
    void text(std::string_view s) {
        varint(s.size());
        size += s.size();
    }
};

// Writes them (LEB128 varints: seven bits a byte, low first, the high bit set on all but the
// last).
struct byte_writer {
    std::byte* at;
    void byte(std::uint8_t b) { *at++ = static_cast<std::byte>(b); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            byte(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        byte(static_cast<std::uint8_t>(v));
    }
    void raw(const void* p, std::size_t n) {
        if (n) std::memcpy(at, p, n);
        at += n;
    }
    void text(std::string_view s) {
        varint(s.size());
        raw(s.data(), s.size());
    }
};

// Reads them back.
struct byte_reader {
    const std::byte* at;
    std::uint8_t byte() { return std::to_integer<std::uint8_t>(*at++); }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (unsigned shift = 0;; shift += 7) {
            const std::uint8_t b = byte();
            v |= std::uint64_t{b & 0x7Fu} << shift;
            if (!(b & 0x80)) return v;
        }
    }
    template <class T>
    T raw() {
        T v;
        std::memcpy(&v, at, sizeof v);
        at += sizeof v;
        return v;
    }
    std::string_view text() {
        const auto n = static_cast<std::size_t>(varint());
        const std::string_view s(reinterpret_cast<const char*>(at), n);
        at += n;
        return s;
    }
    activity_consent consent() {
        activity_consent c;
        c.activity.value = static_cast<std::uint16_t>(varint());
        const std::uint8_t limit = byte();
        if (limit & has_limit) {
            quota_limit l;
            if (limit & has_max_uses) l.max_uses = static_cast<std::uint32_t>(varint());
            l.window_days = static_cast<std::uint32_t>(varint());
            l.cooldown_days = static_cast<std::uint32_t>(varint());
            c.limit = l;
        }
        return c;
    }
};

// The one layout, for counting and for writing.
template <class Out>
void encode(const reference_customer& r, Out& out) {
    const auto& s = r.signals;
    out.byte(static_cast<std::uint8_t>((r.size ? has_size : 0) | (s.nps ? has_nps : 0) |
                                       (s.csat ? has_csat : 0) | (s.health ? has_health : 0) |
                                       (r.last_contact ? has_last_contact : 0)));
    out.byte(static_cast<std::uint8_t>(r.status));
    out.byte(r.size.value_or(0));
    out.byte(s.nps.value_or(0));
    out.text(r.id);
    out.varint(r.consents.size());
    for (const auto& c : r.consents) {
        out.varint(c.activity.value);
        out.byte(static_cast<std::uint8_t>((c.limit ? has_limit : 0) |
                                           (c.limit && c.limit->max_uses ? has_max_uses : 0)));
        if (!c.limit) continue;
        if (c.limit->max_uses) out.varint(*c.limit->max_uses);
        out.varint(c.limit->window_days);
        out.varint(c.limit->cooldown_days);
    }
    out.text(r.name);
    out.text(r.industry);
    out.text(r.country);
    out.text(r.owner);
    out.varint(r.products.size());
    for (const auto& p : r.products) out.text(p);
    if (s.csat) out.raw(&*s.csat, sizeof(double));
    if (s.health) out.raw(&*s.health, sizeof(double));
    if (r.last_contact) {
        const auto days = static_cast<std::int32_t>(r.last_contact->time_since_epoch().count());
        out.raw(&days, sizeof days);
    }
}

// Packs `r` into the bytes `allocate(size)` gives; returns where it starts.
template <class Allocate>
std::byte* pack_into(const reference_customer& r, Allocate&& allocate) {
    byte_counter count;
    encode(r, count);
    byte_writer out{allocate(count.size)};
    std::byte* const start = out.at;
    encode(r, out);
    return start;
}

// Blocks of bytes that packed references are written into. A block never moves, so a record
// stays where it was written while others are added; blocks grow from a few hundred bytes (a
// record added alone) to a mebibyte (a program loading).
class reference_arena {
public:
    std::byte* allocate(std::size_t n) {
        if (blocks_.empty() || blocks_.back().capacity - blocks_.back().used < n) {
            constexpr std::size_t smallest = 256, largest = std::size_t{1} << 20;
            const std::size_t grown =
                blocks_.empty() ? smallest : std::min(largest, 2 * blocks_.back().capacity);
            const std::size_t capacity = std::max(n, grown);
            blocks_.push_back({std::make_unique_for_overwrite<std::byte[]>(capacity), capacity, 0});
        }
        auto& b = blocks_.back();
        std::byte* at = b.data.get() + b.used;
        b.used += n;
        return at;
    }
    // Takes the blocks of `other`, which stay where they are.
    void adopt(reference_arena&& other) {
        blocks_.insert(blocks_.end(), std::make_move_iterator(other.blocks_.begin()),
                       std::make_move_iterator(other.blocks_.end()));
        other.blocks_.clear();
    }

private:
    struct block {
        std::unique_ptr<std::byte[]> data;
        std::size_t capacity, used;
    };
    std::vector<block> blocks_;
};

// `r` packed on its own, in an allocation of exactly its size (a record added or updated alone).
[[nodiscard]] inline std::shared_ptr<const std::byte> pack(const reference_customer& r) {
    std::shared_ptr<std::byte[]> bytes;
    std::byte* const at = pack_into(r, [&](std::size_t n) {
        bytes = std::make_shared_for_overwrite<std::byte[]>(n);
        return bytes.get();
    });
    return std::shared_ptr<const std::byte>(std::move(bytes), at);
}

// The id of a record as a reader or a rule holds it: a record (an `id` member) or a packed one
// (`id()`).
template <class Record>
std::string_view id_of(const Record& r) noexcept {
    if constexpr (requires { r.id(); })
        return r.id();
    else
        return r.id;
}

}  // namespace detail

/// One reference packed into bytes, read in place: a view (the bytes are owned elsewhere, by a
/// `reference_batch` or a store). Cheap to copy.
class packed_reference {
public:
    /// The product ids, in the order given: views read from the bytes as the range is walked.
    class product_ids {
    public:
        class iterator {
        public:
            using iterator_category = std::forward_iterator_tag;
            using value_type = std::string_view;
            using difference_type = std::ptrdiff_t;
            using pointer = void;
            using reference = std::string_view;
            iterator() = default;
            iterator(const std::byte* at, std::size_t left) : at_(at), left_(left) {}
            std::string_view operator*() const {
                detail::byte_reader in{at_};
                return in.text();
            }
            iterator& operator++() {
                detail::byte_reader in{at_};
                (void)in.text();
                at_ = in.at;
                --left_;
                return *this;
            }
            iterator operator++(int) {
                auto before = *this;
                ++*this;
                return before;
            }
            // Iterators of one range are equal when as many ids are left after them.
            friend bool operator==(const iterator& a, const iterator& b) {
                return a.left_ == b.left_;
            }

        private:
            const std::byte* at_ = nullptr;
            std::size_t left_ = 0;
        };
        product_ids() = default;
        product_ids(const std::byte* first, std::size_t count) : first_(first), count_(count) {}
        [[nodiscard]] iterator begin() const { return {first_, count_}; }
        [[nodiscard]] iterator end() const { return {nullptr, 0}; }
        [[nodiscard]] std::size_t size() const noexcept { return count_; }

    private:
        const std::byte* first_ = nullptr;
        std::size_t count_ = 0;
    };

    /// The fields after the id and consents, read in one pass (`fields()`), with no allocation.
    struct field_views {
        std::string_view name, industry, country, owner;
        product_ids products;
        advocacy_signals signals;
        std::optional<date> last_contact;
    };

    packed_reference() = default;
    explicit packed_reference(const std::byte* bytes) noexcept : at_(bytes) {}

    [[nodiscard]] const std::byte* data() const noexcept { return at_; }
    [[nodiscard]] reference_status status() const noexcept {
        return static_cast<reference_status>(std::to_integer<std::uint8_t>(at_[1]));
    }
    [[nodiscard]] size_band size() const noexcept {
        if (!(flags() & detail::has_size)) return std::nullopt;
        return std::to_integer<std::uint8_t>(at_[2]);
    }
    [[nodiscard]] std::string_view id() const noexcept {
        detail::byte_reader in{at_ + 4};
        return in.text();
    }
    /// Calls `f(activity_consent)` for each consent, in the order given.
    template <class F>
    void for_each_consent(F&& f) const {
        auto in = consents_reader();
        for (auto n = in.varint(); n; --n) f(in.consent());
    }
    /// The consent to an activity, if the reference gave one.
    [[nodiscard]] std::optional<activity_consent> consent(activity_id a) const {
        auto in = consents_reader();
        for (auto n = in.varint(); n; --n)
            if (const auto c = in.consent(); c.activity == a) return c;
        return std::nullopt;
    }
    [[nodiscard]] std::string_view name() const { return fields_reader().text(); }
    [[nodiscard]] field_views fields() const {
        field_views out;
        read_fields(out);
        return out;
    }
    /// The record as it was packed.
    [[nodiscard]] reference_customer unpack() const {
        reference_customer r;
        r.id = id();
        r.status = status();
        r.size = size();
        for_each_consent([&](const activity_consent& c) { r.consents.push_back(c); });
        field_views f;
        read_fields(f);
        r.name = f.name;
        r.industry = f.industry;
        r.country = f.country;
        r.owner = f.owner;
        r.products.assign(f.products.begin(), f.products.end());
        r.signals = f.signals;
        r.last_contact = f.last_contact;
        return r;
    }
    /// How many bytes the record takes.
    [[nodiscard]] std::size_t byte_size() const {
        field_views f;
        return static_cast<std::size_t>(read_fields(f) - at_);
    }

private:
    [[nodiscard]] std::uint8_t flags() const noexcept {
        return std::to_integer<std::uint8_t>(*at_);
    }
    [[nodiscard]] detail::byte_reader consents_reader() const {
        detail::byte_reader in{at_ + 4};
        in.text();  // the id
        return in;
    }
    // A reader at the name, the first field after the consents.
    [[nodiscard]] detail::byte_reader fields_reader() const {
        auto in = consents_reader();
        for (auto n = in.varint(); n; --n) (void)in.consent();
        return in;
    }
    // Reads the fields into `out`; returns the end of the record.
    const std::byte* read_fields(field_views& out) const {
        auto in = fields_reader();
        out.name = in.text();
        out.industry = in.text();
        out.country = in.text();
        out.owner = in.text();
        const auto products = static_cast<std::size_t>(in.varint());
        out.products = product_ids(in.at, products);
        for (auto n = products; n; --n) (void)in.text();
        const auto present = flags();
        if (present & detail::has_nps) out.signals.nps = std::to_integer<std::uint8_t>(at_[3]);
        if (present & detail::has_csat) out.signals.csat = in.raw<double>();
        if (present & detail::has_health) out.signals.health = in.raw<double>();
        if (present & detail::has_last_contact)
            out.last_contact = date{std::chrono::days{in.raw<std::int32_t>()}};
        return in.at;
    }

    const std::byte* at_ = nullptr;
};

/// References packed one after another, in the order added: what a loader fills and a
/// `reference_store` takes in (`add_all`) without copying a record. A plain value: a copy copies
/// the bytes; moving is cheap.
///
/// **Thread safety:** as a standard container (const members from any number of threads).
class reference_batch {
public:
    using value_type = packed_reference;

    reference_batch() = default;
    /// Packs the records; each is freed as it is packed (a large vector is never held twice).
    /// Implicit, as a vector of records is what a batch stands for.
    reference_batch(std::vector<reference_customer>&& records) {
        reserve(records.size());
        for (auto& r : records) {
            push_back(r);
            r = reference_customer{};
        }
        std::vector<reference_customer>().swap(records);
    }
    reference_batch(const std::vector<reference_customer>& records) {
        reserve(records.size());
        for (const auto& r : records) push_back(r);
    }
    reference_batch(const reference_batch& other) : reference_batch() {
        reserve(other.size());
        for (const auto r : other) push_back(r);
    }
    reference_batch& operator=(const reference_batch& other) {
        if (this != &other) *this = reference_batch(other);
        return *this;
    }
    reference_batch(reference_batch&&) noexcept = default;
    reference_batch& operator=(reference_batch&&) noexcept = default;

    /// Packs a record at the end.
    void push_back(const reference_customer& r) {
        positions_.push_back(detail::pack_into(r, [this](std::size_t n) { return allocate(n); }));
    }
    /// Appends a record already packed (its bytes are copied).
    void push_back(packed_reference r) {
        const std::size_t n = r.byte_size();
        std::byte* at = allocate(n);
        std::memcpy(at, r.data(), n);
        positions_.push_back(at);
    }
    /// Moves the records of `other` to the end. Their bytes stay where they are unless a store
    /// still shares them (`share`), when they are copied.
    void append(reference_batch&& other) {
        if (!other.arena_ || other.arena_.use_count() > 1) {
            reserve(size() + other.size());
            for (const auto r : other) push_back(r);
        } else {
            if (!arena_) arena_ = std::make_shared<detail::reference_arena>();
            arena_->adopt(std::move(*other.arena_));
            positions_.insert(positions_.end(), other.positions_.begin(), other.positions_.end());
        }
        other = reference_batch{};
    }
    void reserve(std::size_t n) { positions_.reserve(n); }
    [[nodiscard]] std::size_t size() const noexcept { return positions_.size(); }
    [[nodiscard]] bool empty() const noexcept { return positions_.empty(); }
    [[nodiscard]] packed_reference operator[](std::size_t i) const {
        return packed_reference(positions_[i]);
    }

    class const_iterator {
    public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = packed_reference;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = packed_reference;
        const_iterator() = default;
        explicit const_iterator(const std::byte* const* at) : at_(at) {}
        packed_reference operator*() const { return packed_reference(*at_); }
        packed_reference operator[](difference_type n) const { return packed_reference(at_[n]); }
        const_iterator& operator++() { return ++at_, *this; }
        const_iterator operator++(int) { return const_iterator(at_++); }
        const_iterator& operator--() { return --at_, *this; }
        const_iterator operator--(int) { return const_iterator(at_--); }
        const_iterator& operator+=(difference_type n) { return at_ += n, *this; }
        const_iterator& operator-=(difference_type n) { return at_ -= n, *this; }
        friend const_iterator operator+(const_iterator i, difference_type n) { return i += n; }
        friend const_iterator operator+(difference_type n, const_iterator i) { return i += n; }
        friend const_iterator operator-(const_iterator i, difference_type n) { return i -= n; }
        friend difference_type operator-(const_iterator a, const_iterator b) {
            return a.at_ - b.at_;
        }
        friend auto operator<=>(const const_iterator&, const const_iterator&) = default;

    private:
        const std::byte* const* at_ = nullptr;
    };
    [[nodiscard]] const_iterator begin() const noexcept {
        return const_iterator(positions_.data());
    }
    [[nodiscard]] const_iterator end() const noexcept {
        return const_iterator(positions_.data() + positions_.size());
    }

    /// The records, unpacked.
    [[nodiscard]] std::vector<reference_customer> unpack() const {
        std::vector<reference_customer> out;
        out.reserve(size());
        for (const auto r : *this) out.push_back(r.unpack());
        return out;
    }

    /// Record `i`'s bytes, owning the batch's blocks: a store keeps these, so the records stay
    /// where they were packed for as long as any of them is held (the batch itself may go).
    [[nodiscard]] std::shared_ptr<const std::byte> share(std::size_t i) const {
        return std::shared_ptr<const std::byte>(arena_, positions_[i]);
    }

    /// Equal records in the same order (as `reference_customer` compares them).
    friend bool operator==(const reference_batch& a, const reference_batch& b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                                  [](packed_reference x, packed_reference y) {
                                                      return x.unpack() == y.unpack();
                                                  });
    }

private:
    std::byte* allocate(std::size_t n) {
        if (!arena_) arena_ = std::make_shared<detail::reference_arena>();
        return arena_->allocate(n);
    }

    std::shared_ptr<detail::reference_arena> arena_;
    std::vector<const std::byte*> positions_;
};

}  // namespace refmatch
