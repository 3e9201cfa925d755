// Numbers, dates and lists as CRM exports write them.

#include "crm/values.hpp"
#include "io/csv.hpp"

#include <charconv>

namespace refmatch::crm::detail {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Strips what surrounds the number: currency signs and codes, spaces (also no-break ones).
std::string_view strip_currency(std::string_view s, const number_format& fmt) {
    const auto part_of_number = [&](char c) {
        return is_digit(c) || c == '-' || c == '+' || c == fmt.decimal;
    };
    std::size_t begin = 0;
    while (begin < s.size() && !part_of_number(s[begin])) ++begin;
    std::size_t end = s.size();
    while (end > begin && !is_digit(s[end - 1])) --end;
    return s.substr(begin, end - begin);
}

}  // namespace

std::optional<double> parse_amount(std::string_view text, const number_format& fmt) {
    const auto s = strip_currency(refmatch::detail::trim(text), fmt);
    if (s.empty()) return std::nullopt;
    std::string plain;
    plain.reserve(s.size());
    std::size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
        if (s[0] == '-') plain += '-';
        i = 1;
    }
    std::size_t group = 0;  // digits since the last thousands separator
    bool grouped = false, fraction = false, any = false;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (is_digit(c)) {
            plain += c;
            ++group;
            any = true;
        } else if (c == fmt.thousands && !fraction) {
            if (!any || (grouped && group != 3) || (!grouped && group > 3)) return std::nullopt;
            grouped = true;
            group = 0;
        } else if (c == fmt.decimal && !fraction) {
            if (grouped && group != 3) return std::nullopt;
            fraction = true;
            grouped = false;
            plain += '.';
        } else {
            return std::nullopt;
        }
    }
    if (!any || (grouped && group != 3)) return std::nullopt;
    double value = 0.0;
    const auto [end, ec] = std::from_chars(plain.data(), plain.data() + plain.size(), value);
    if (ec != std::errc() || end != plain.data() + plain.size()) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> parse_headcount(std::string_view text, const number_format& fmt,
                                             headcount_error& why) {
    auto s = refmatch::detail::trim(text);
    why = headcount_error::not_a_number;
    if (!s.empty() && s.back() == '+') s = refmatch::detail::trim(s.substr(0, s.size() - 1));
    // A range "50-249" or "50 – 249": its lower bound.
    for (const std::string_view dash : {"-", "\xE2\x80\x93"}) {
        const auto at = s.find(dash, 1);
        if (at != std::string_view::npos) {
            s = refmatch::detail::trim(s.substr(0, at));
            break;
        }
    }
    const auto value = parse_amount(s, fmt);
    if (!value || *value < 0) return std::nullopt;
    if (s.find(fmt.decimal) != std::string_view::npos) {
        why = headcount_error::fraction;
        return std::nullopt;
    }
    why = headcount_error::none;
    return static_cast<std::uint64_t>(*value);
}

std::optional<date> parse_date_as(std::string_view text, const std::vector<std::string>& formats) {
    const auto s = refmatch::detail::trim(text);
    for (const auto& f : formats) {
        int year = -1, month = -1, day = -1;
        std::size_t i = 0, j = 0;
        bool ok = true;
        const auto digits = [&](std::size_t min, std::size_t max, int& out) {
            std::size_t n = 0;
            int v = 0;
            while (n < max && j < s.size() && is_digit(s[j])) {
                v = v * 10 + (s[j] - '0');
                ++j;
                ++n;
            }
            if (n < min) return false;
            out = v;
            return true;
        };
        while (ok && i < f.size()) {
            if (f.compare(i, 4, "YYYY") == 0) {
                ok = digits(4, 4, year);
                i += 4;
            } else if (f.compare(i, 2, "MM") == 0) {
                ok = digits(2, 2, month);
                i += 2;
            } else if (f[i] == 'M') {
                ok = digits(1, 2, month);
                ++i;
            } else if (f.compare(i, 2, "DD") == 0) {
                ok = digits(2, 2, day);
                i += 2;
            } else if (f[i] == 'D') {
                ok = digits(1, 2, day);
                ++i;
            } else {
                ok = j < s.size() && s[j] == f[i];
                ++i;
                ++j;
            }
        }
        if (!ok || (j < s.size() && s[j] != ' ' && s[j] != 'T')) continue;
        const std::chrono::year_month_day ymd{std::chrono::year{year},
                                              std::chrono::month{static_cast<unsigned>(month)},
                                              std::chrono::day{static_cast<unsigned>(day)}};
        if (ymd.ok()) return date{ymd};
    }
    return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text, std::string_view separators) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find_first_of(separators, start), text.size());
        const auto item = refmatch::detail::trim(text.substr(start, end - start));
        if (!item.empty()) items.emplace_back(item);
        start = end + 1;
    }
    return items;
}

}  // namespace refmatch::crm::detail
