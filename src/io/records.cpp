#include "io/records.hpp"
#include "measurement/records.hpp"

#include <refmatch/prospect_store.hpp>
#include <refmatch/reference_store.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace refmatch::detail {
namespace {

constexpr std::array<column_spec, 3> product_columns = {
    {{"id", true}, {"name", true}, {"family", false}}};
constexpr std::array<column_spec, 4> quota_columns = {
    {{"activity", true}, {"max_uses", true}, {"window_days", true}, {"cooldown_days", true}}};
constexpr std::array<column_spec, 14> reference_columns = {{{"id", true},
                                                            {"name", true},
                                                            {"industry", false},
                                                            {"products", false},
                                                            {"country", false},
                                                            {"size_band", false},
                                                            {"employees", false},
                                                            {"status", true},
                                                            {"consents", false},
                                                            {"nps", false},
                                                            {"csat", false},
                                                            {"health", false},
                                                            {"owner", false},
                                                            {"last_contact", false}}};
constexpr std::array<column_spec, 13> prospect_columns = {{{"id", true},
                                                           {"name", false},
                                                           {"industry", false},
                                                           {"products", false},
                                                           {"country", false},
                                                           {"size_band", false},
                                                           {"employees", false},
                                                           {"deal_value", false},
                                                           {"stage", false},
                                                           {"activity", false},
                                                           {"needed_by", false},
                                                           {"exclusions", false},
                                                           {"owner", false}}};
constexpr std::array<column_spec, 4> usage_columns = {
    {{"reference_id", true}, {"activity", true}, {"opportunity_id", false}, {"date", true}}};

std::optional<std::uint64_t> parse_uint(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<double> parse_double(std::string_view s) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

// Calls `f(item)` for each item of a ';'-separated list, trimmed, skipping empty ones.
template <class F>
void for_each_list_item(std::string_view s, F&& f) {
    while (!s.empty()) {
        const auto cut = s.find(';');
        if (const auto item = trim(s.substr(0, cut)); !item.empty()) f(item);
        if (cut == std::string_view::npos) break;
        s.remove_prefix(cut + 1);
    }
}

// The items of a ';'-separated list (see `for_each_list_item`).
std::vector<std::string> split_list(std::string_view s) {
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(std::count(s.begin(), s.end(), ';')) + 1);
    for_each_list_item(s, [&](std::string_view item) { out.emplace_back(item); });
    return out;
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += ';';
        out += i;
    }
    return out;
}

std::optional<date> parse_date_field(const flat_record& r, std::string_view name) {
    const auto text = trim(r.get(name));
    if (text.empty()) return std::nullopt;
    if (auto d = parse_date(text)) return d;
    throw r.fail(name, "a date YYYY-MM-DD", text);
}

// size_band (a band number or its label) or, failing that, employees (a headcount).
size_band parse_size(const flat_record& r, const size_bands& sizes) {
    const auto band_text = trim(r.get("size_band"));
    const auto employees_text = trim(r.get("employees"));
    size_band band;
    if (!band_text.empty()) {
        if (const auto n = parse_uint(band_text); n && *n < sizes.count()) {
            band = static_cast<std::uint8_t>(*n);
        } else {
            for (std::uint8_t b = 0; b < sizes.count(); ++b)
                if (ascii_lower(sizes.label(b)) == ascii_lower(band_text)) band = b;
        }
        if (!band) {
            std::string labels;
            for (std::uint8_t b = 0; b < sizes.count(); ++b)
                labels += (b ? ", '" : "'") + sizes.label(b) + "'";
            throw r.fail("size_band",
                         "a band 0-" + std::to_string(sizes.count() - 1) + " or a label " + labels,
                         band_text);
        }
    }
    if (!employees_text.empty()) {
        const auto n = parse_uint(employees_text);
        const size_band from_count = n ? sizes.band_of(*n) : size_band{};
        if (!from_count)
            throw r.fail("employees",
                         "a headcount of at least " + std::to_string(sizes.lower_bounds().front()),
                         employees_text);
        if (band && band != from_count)
            throw r.fail("employees",
                         "a headcount in size band " + std::to_string(*band) + " (" +
                             sizes.label(*band) + ") as column size_band says",
                         employees_text);
        band = from_count;
    }
    return band;
}

activity_id parse_activity(const flat_record& r, std::string_view field, std::string_view name,
                           const activity_catalog& activities) {
    if (auto a = activities.find(name)) return *a;
    std::string names;
    for (const auto& n : activities.names()) names += (names.empty() ? "" : ", ") + n;
    throw r.fail(field, "one of the activity types " + names, name);
}

std::optional<std::uint32_t> parse_days(std::string_view s) {
    const auto n = parse_uint(s);
    if (!n || *n > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    return static_cast<std::uint32_t>(*n);
}

// "sales_call" or "case_study:2/365/90" ("-" or nothing for max_uses means no limit), read
// into `c`: a consent in its place in the record (one built aside and copied in is read back
// before its parts are written, a stall on every one).
void read_consent(const flat_record& r, std::string_view item, const activity_catalog& activities,
                  activity_consent& c) {
    const auto colon = item.find(':');
    c.activity = parse_activity(r, "consents", trim(item.substr(0, colon)), activities);
    if (colon == std::string_view::npos) return;
    const auto spec = item.substr(colon + 1);
    const auto s1 = spec.find('/');
    const auto s2 = s1 == std::string_view::npos ? s1 : spec.find('/', s1 + 1);
    const auto bad = [&] {
        return r.fail("consents",
                      "a personal limit max_uses/window_days/cooldown_days such as 2/365/90", item);
    };
    if (s2 == std::string_view::npos || spec.find('/', s2 + 1) != std::string_view::npos)
        throw bad();
    const auto max_text = trim(spec.substr(0, s1));
    const auto window = parse_days(trim(spec.substr(s1 + 1, s2 - s1 - 1)));
    const auto cooldown = parse_days(trim(spec.substr(s2 + 1)));
    auto& limit = c.limit.emplace();
    if (!max_text.empty() && max_text != "-") {
        const auto m = parse_days(max_text);
        if (!m || *m == 0) throw bad();
        limit.max_uses = *m;
    }
    if (!window || *window == 0 || !cooldown) throw bad();
    limit.window_days = *window;
    limit.cooldown_days = *cooldown;
}

std::string optional_number(const std::optional<double>& x) {
    return x ? format_number(*x) : std::string();
}

std::string size_text(size_band s) {
    return s ? std::to_string(*s) : std::string();
}

std::string date_text(const std::optional<date>& d) {
    return d ? format_date(*d) : std::string();
}

}  // namespace

std::span<const column_spec> columns_of(table_kind kind) {
    switch (kind) {
        case table_kind::products:
            return product_columns;
        case table_kind::quotas:
            return quota_columns;
        case table_kind::references:
            return reference_columns;
        case table_kind::prospects:
            return prospect_columns;
        case table_kind::usage:
            return usage_columns;
        case table_kind::outcomes:
            return outcome_columns();
        case table_kind::content:
            return content_columns();
    }
    return {};
}

std::string_view name_of(table_kind kind) {
    switch (kind) {
        case table_kind::products:
            return "products";
        case table_kind::quotas:
            return "quotas";
        case table_kind::references:
            return "references";
        case table_kind::prospects:
            return "prospects";
        case table_kind::usage:
            return "usage";
        case table_kind::outcomes:
            return "outcomes";
        case table_kind::content:
            return "content";
    }
    return "";
}

std::string_view flat_record::get(std::string_view name) const {
    // Called a dozen times per record, mostly in the order of the columns: the search starts
    // after the field found last and wraps round, and compares the length, the address and the
    // first letter before the bytes.
    const std::size_t count = fields.size();
    if (next_ >= count) next_ = 0;
    for (std::size_t k = 0, i = next_; k < count; ++k, i = i + 1 == count ? 0 : i + 1) {
        const auto& [n, v] = fields[i];
        // The readers ask with the literals the column specs are made of: most often the very
        // same bytes, which spares the comparison.
        if (n.size() == name.size() &&
            (n.data() == name.data() || ((n.empty() || n[0] == name[0]) && n == name))) {
            next_ = i + 1 == count ? 0 : i + 1;
            return v;
        }
    }
    return {};
}

parse_error flat_record::fail(std::string_view name, std::string expected,
                              std::string_view found) const {
    return parse_error(file ? *file : std::string(), line, prefix + std::string(name),
                       std::move(expected), printable(found));
}

parse_error flat_record::fail(const validation_error& e) const {
    if (!e.field().empty()) return fail(e.field(), e.expected(), e.found());
    return fail("", "a valid record", e.what());
}

product build_product(const flat_record& r) {
    product p{std::string(trim(r.get("id"))), std::string(r.get("name")),
              std::string(trim(r.get("family")))};
    if (p.id.empty()) throw r.fail("id", "a non-empty product id", "");
    return p;
}

std::pair<activity_id, quota_limit> build_quota(const flat_record& r,
                                                activity_catalog& activities) {
    const auto name = ascii_lower(trim(r.get("activity")));
    if (name.empty() ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
        throw r.fail("activity", "an activity name of lower-case letters, digits and '_'",
                     r.get("activity"));
    quota_limit q;
    const auto max_text = trim(r.get("max_uses"));
    if (!max_text.empty() && max_text != "-") {
        const auto m = parse_days(max_text);
        if (!m || *m == 0)
            throw r.fail("max_uses", "a whole number >= 1, or empty for no limit", max_text);
        q.max_uses = *m;
    }
    const auto window = parse_days(trim(r.get("window_days")));
    if (!window || *window == 0)
        throw r.fail("window_days", "a whole number of days >= 1", r.get("window_days"));
    q.window_days = *window;
    const auto cooldown_text = trim(r.get("cooldown_days"));
    if (!cooldown_text.empty()) {
        const auto c = parse_days(cooldown_text);
        if (!c) throw r.fail("cooldown_days", "a whole number of days >= 0", cooldown_text);
        q.cooldown_days = *c;
    }
    return {activities.add(name), q};
}

reference_customer build_reference(const flat_record& r, const vocabulary& v) {
    reference_customer c;
    c.id = std::string(trim(r.get("id")));
    if (c.id.empty()) throw r.fail("id", "a non-empty reference id", "");
    c.name = std::string(r.get("name"));
    c.industry = std::string(trim(r.get("industry")));
    c.products = split_list(r.get("products"));
    c.country = std::string(trim(r.get("country")));
    c.size = parse_size(r, v.sizes);
    const auto status_text = trim(r.get("status"));
    const auto status = parse_reference_status(status_text);
    if (!status) throw r.fail("status", "one of candidate, active, paused, retired", status_text);
    c.status = *status;
    // Read in place (a million references: no list of strings per record) into a vector sized
    // by its separators, with no room kept for more.
    const auto consents = trim(r.get("consents"));
    if (!consents.empty())
        c.consents.reserve(
            static_cast<std::size_t>(std::count(consents.begin(), consents.end(), ';')) + 1);
    for_each_list_item(consents, [&](std::string_view item) {
        auto& consent = c.consents.emplace_back();
        read_consent(r, item, v.activities, consent);
        if (std::any_of(c.consents.begin(), c.consents.end() - 1,
                        [&](const activity_consent& e) { return e.activity == consent.activity; }))
            throw r.fail("consents", "each activity once",
                         v.activities.name(consent.activity) + " twice");
    });
    if (const auto nps = trim(r.get("nps")); !nps.empty()) {
        const auto n = parse_uint(nps);
        if (!n || *n > 10) throw r.fail("nps", "a whole number 0-10", nps);
        c.signals.nps = static_cast<std::uint8_t>(*n);
    }
    for (const auto* field : {"csat", "health"}) {
        const auto text = trim(r.get(field));
        if (text.empty()) continue;
        const auto x = parse_double(text);
        if (!x || *x < 0.0 || *x > 100.0) throw r.fail(field, "a number 0-100", text);
        (std::string_view(field) == "csat" ? c.signals.csat : c.signals.health) = *x;
    }
    c.owner = std::string(r.get("owner"));
    c.last_contact = parse_date_field(r, "last_contact");
    // Codes, products and size as the store will check them (the other checks the store makes
    // were done above, with better messages), so that errors carry the line.
    try {
        // As for prospects: r.fail(e) words the message from the field, not the subject.
        static const std::string subject = "reference";
        v.check(subject, c.industry, c.country, c.products, c.size);
    } catch (const validation_error& e) {
        throw r.fail(e);
    }
    return c;
}

prospect build_prospect(const flat_record& r, const vocabulary& v) {
    prospect p;
    p.id = std::string(trim(r.get("id")));
    if (p.id.empty()) throw r.fail("id", "a non-empty prospect id", "");
    p.name = std::string(r.get("name"));
    p.industry = std::string(trim(r.get("industry")));
    p.products = split_list(r.get("products"));
    p.country = std::string(trim(r.get("country")));
    p.size = parse_size(r, v.sizes);
    if (const auto value = trim(r.get("deal_value")); !value.empty()) {
        const auto x = parse_double(value);
        if (!x || *x < 0.0) throw r.fail("deal_value", "a number >= 0", value);
        p.deal_value = *x;
    }
    p.stage = std::string(trim(r.get("stage")));
    if (const auto a = trim(r.get("activity")); !a.empty())
        p.activity = parse_activity(r, "activity", a, v.activities);
    p.needed_by = parse_date_field(r, "needed_by");
    p.exclusions = split_list(r.get("exclusions"));
    p.owner = std::string(r.get("owner"));
    try {
        // r.fail(e) words the message from the field, expected and found, not the subject:
        // a fixed subject spares building one per record.
        static const std::string subject = "prospect";
        v.check(subject, p.industry, p.country, p.products, p.size);
    } catch (const validation_error& e) {
        throw r.fail(e);
    }
    return p;
}

usage_view read_usage_view(const flat_record& r, const vocabulary& v) {
    usage_view e;
    e.reference_id = trim(r.get("reference_id"));
    if (e.reference_id.empty()) throw r.fail("reference_id", "a reference id", "");
    e.activity = parse_activity(r, "activity", trim(r.get("activity")), v.activities);
    e.opportunity_id = trim(r.get("opportunity_id"));
    const auto day = parse_date_field(r, "date");
    if (!day) throw r.fail("date", "a date YYYY-MM-DD", "");
    e.day = *day;
    return e;
}

usage_event build_usage(const flat_record& r, const vocabulary& v) {
    return read_usage_view(r, v).event();
}

void usage_rows::flush(usage_batch& out) {
    rows_.clear();
    std::size_t at = 0;
    for (const auto& p : pending_) {
        const std::string_view reference(ids_.data() + at, p.reference_end - at);
        const std::string_view opportunity(ids_.data() + p.reference_end,
                                           p.opportunity_end - p.reference_end);
        rows_.push_back({reference, p.activity, opportunity, p.day});
        at = p.opportunity_end;
    }
    out.add_all(rows_);
    pending_.clear();
    ids_.clear();
}

std::vector<std::string> product_fields(const product& p) {
    return {p.id, p.name, p.family};
}

std::vector<std::string> quota_fields(std::string_view activity, const quota_limit& q) {
    return {std::string(activity), q.max_uses ? std::to_string(*q.max_uses) : std::string(),
            std::to_string(q.window_days), std::to_string(q.cooldown_days)};
}

std::string format_consent(const activity_consent& c, const activity_catalog& activities) {
    std::string out = activities.name(c.activity);
    if (c.limit) {
        out += ':';
        out += c.limit->max_uses ? std::to_string(*c.limit->max_uses) : std::string("-");
        out += '/' + std::to_string(c.limit->window_days) + '/' +
               std::to_string(c.limit->cooldown_days);
    }
    return out;
}

std::vector<std::string> reference_fields(const reference_customer& r, const vocabulary& v) {
    std::vector<std::string> consents;
    for (const auto& c : r.consents) consents.push_back(format_consent(c, v.activities));
    return {r.id,
            r.name,
            r.industry,
            join_list(r.products),
            r.country,
            size_text(r.size),
            std::string(),  // employees: the band says it
            std::string(to_string(r.status)),
            join_list(consents),
            r.signals.nps ? std::to_string(*r.signals.nps) : std::string(),
            optional_number(r.signals.csat),
            optional_number(r.signals.health),
            r.owner,
            date_text(r.last_contact)};
}

std::vector<std::string> prospect_fields(const prospect& p, const vocabulary& v) {
    return {p.id,
            p.name,
            p.industry,
            join_list(p.products),
            p.country,
            size_text(p.size),
            std::string(),
            format_number(p.deal_value),
            p.stage,
            p.activity ? v.activities.name(*p.activity) : std::string(),
            date_text(p.needed_by),
            join_list(p.exclusions),
            p.owner};
}

std::vector<std::string> usage_fields(const usage_event& e, const vocabulary& v) {
    return {e.reference_id, v.activities.name(e.activity), e.opportunity_id, format_date(e.day)};
}

std::string format_number(double x) {
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
    return ec == std::errc{} ? std::string(buffer, end) : std::to_string(x);
}

size_band size_field(const flat_record& r, const size_bands& sizes) {
    return parse_size(r, sizes);
}

std::optional<date> date_field(const flat_record& r, std::string_view name) {
    return parse_date_field(r, name);
}

std::optional<double> number_text(std::string_view s) {
    return parse_double(s);
}

std::optional<std::uint64_t> count_text(std::string_view s) {
    return parse_uint(s);
}

std::vector<std::string> list_of(std::string_view s) {
    return split_list(s);
}

std::string list_text(std::span<const std::string> items) {
    return join_list(std::vector<std::string>(items.begin(), items.end()));
}

}  // namespace refmatch::detail
