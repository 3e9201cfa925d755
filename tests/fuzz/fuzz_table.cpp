// A libFuzzer target for one table in one format (REFMATCH_FUZZ_TABLE, REFMATCH_FUZZ_JSON):
// the input is read through the load path (throws the first error) and the check path
// (`read_program_tables` collecting every error, as `refmatch validate` reads), and
// - any exception but a refmatch::parse_error is a finding (libFuzzer reports it as a crash);
// - the two paths agree: the input loads exactly when the check finds no error;
// - what loads saves (format_*) and reloads to the same records.
// ASan and UBSan report memory and undefined-behaviour errors on the way.

#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

namespace {

using refmatch::file_format;

#if REFMATCH_FUZZ_JSON
constexpr file_format format = file_format::json;
#else
constexpr file_format format = file_format::csv;
#endif

// The context of a table: a small catalogue and three references for usage to name.
const std::string products_csv = "id,name,family\ncrm-01,Customer Core,crm\nhr-01,People,hr\n";
const std::string references_csv =
    "id,name,status\nR-1,One,active\nR-2,Two,paused\nR-3,Three,retired\n";

const refmatch::vocabulary& vocab() {
    static const auto v = [] {
        auto out = std::make_shared<refmatch::vocabulary>(*refmatch::standard_vocabulary());
        out->products = refmatch::parse_products(products_csv, file_format::csv);
        return out;
    }();
    return *v;
}

bool known_reference(std::string_view id) {
    return id == "R-1" || id == "R-2" || id == "R-3";
}

[[noreturn]] void finding(const char* what) {
    std::fprintf(stderr, "refmatch fuzz finding: %s\n", what);
    std::abort();
}

refmatch::table_source source(std::string name, std::string text, file_format f) {
    return {std::move(name) + (f == file_format::csv ? ".csv" : ".json"), f,
            [text = std::move(text)] { return text; }};
}

// The check path: every error, never a throw.
std::size_t check_errors(std::string_view text) {
    refmatch::program_sources s;
    const std::string fuzzed(text);
    const auto table = std::string_view(REFMATCH_FUZZ_TABLE);
    if (table != "products") s.products = source("products", products_csv, file_format::csv);
    if (table == "usage") s.references = source("references", references_csv, file_format::csv);
    auto& slot = table == "products"     ? s.products
                 : table == "quotas"     ? s.quotas
                 : table == "references" ? s.references
                 : table == "prospects"  ? s.prospects
                                         : s.usage;
    slot = source(std::string(table), fuzzed, format);
    std::vector<refmatch::parse_error> errors;
    // Built once: each standard_vocabulary() call copies the NAICS and M49 taxonomies.
    static const auto standard = refmatch::standard_vocabulary();
    (void)refmatch::read_program_tables(s, *standard, {}, &errors);
    return errors.size();
}

// The load path, then the round trip. Returns whether the input loaded.
bool load_and_round_trip(std::string_view text) {
    const auto table = std::string_view(REFMATCH_FUZZ_TABLE);
    try {
        if (table == "products") {
            const auto p = refmatch::parse_products(text, format);
            if (!(refmatch::parse_products(refmatch::format_products(p, format), format)
                      .products() == p.products()))
                finding("products: saved and reloaded records differ");
        } else if (table == "quotas") {
            auto activities = vocab().activities;
            const auto q = refmatch::parse_quotas(text, format, activities);
            auto again_activities = vocab().activities;
            const auto again = refmatch::parse_quotas(
                refmatch::format_quotas(q, activities, format), format, again_activities);
            if (!(again == q) || again_activities.names() != activities.names())
                finding("quotas: saved and reloaded records differ");
        } else if (table == "references") {
            const auto r = refmatch::parse_references(text, format, vocab());
            if (refmatch::parse_references(refmatch::format_references(r, vocab(), format), format,
                                           vocab()) != r)
                finding("references: saved and reloaded records differ");
        } else if (table == "prospects") {
            const auto p = refmatch::parse_prospects(text, format, vocab());
            if (refmatch::parse_prospects(refmatch::format_prospects(p, vocab(), format), format,
                                          vocab()) != p)
                finding("prospects: saved and reloaded records differ");
        } else {
            const auto u = refmatch::parse_usage(text, format, vocab(), {}, known_reference);
            if (refmatch::parse_usage(refmatch::format_usage(u, vocab(), format), format, vocab(),
                                      {}, known_reference) != u)
                finding("usage: saved and reloaded records differ");
        }
    } catch (const refmatch::parse_error&) {
        return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const bool loaded = load_and_round_trip(text);
    const std::size_t errors = check_errors(text);
    if (loaded != (errors == 0)) finding("the load and the check disagree");
    return 0;
}
