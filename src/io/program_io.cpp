// Program directories: load_program, save_program, check_program, check_file.

#include "io/tables.hpp"
#include "measurement/records.hpp"

#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_set>

namespace refmatch {
namespace {

namespace fs = std::filesystem;
using detail::table_kind;

constexpr std::array<table_kind, 5> all_kinds = {table_kind::products, table_kind::quotas,
                                                 table_kind::references, table_kind::prospects,
                                                 table_kind::usage};
// The tables that live beside a program's five, when it has them.
constexpr std::array<table_kind, 2> side_kinds = {table_kind::outcomes, table_kind::content};

std::string file_name(table_kind kind, file_format format) {
    return std::string(detail::name_of(kind)) + (format == file_format::csv ? ".csv" : ".json");
}

// The file of a table in a program directory, if any. @throws parse_error when both formats
// are present (which one would be meant is unclear).
// Whether `path` exists. @throws error naming the path when it cannot be told (a symbolic link
// loop, a directory that cannot be searched): std::filesystem's errors never leave refmatch::io.
bool inspectable_exists(const fs::path& path) {
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        throw error("cannot inspect '" + path.string() + "': " + ec.message());
    return fs::exists(st);
}

bool is_program_directory(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

std::optional<fs::path> find_table(const fs::path& dir, table_kind kind) {
    const auto csv = dir / file_name(kind, file_format::csv);
    const auto json = dir / file_name(kind, file_format::json);
    const bool has_csv = inspectable_exists(csv);
    const bool has_json = inspectable_exists(json);
    if (has_csv && has_json)
        throw parse_error(csv.filename().string(), 0, "",
                          "one file per table in the program directory",
                          "both " + csv.filename().string() + " and " + json.filename().string());
    if (has_csv) return csv;
    if (has_json) return json;
    return std::nullopt;
}

parse_error missing_table(table_kind kind) {
    return parse_error(file_name(kind, file_format::csv), 0, "",
                       "a " + file_name(kind, file_format::csv) + " or " +
                           file_name(kind, file_format::json) + " file in the program directory",
                       "no such file");
}

read_options options_for(const std::string& name, const progress_callback& progress,
                         std::vector<parse_error>* errors = nullptr) {
    read_options o;
    o.source = name;
    o.errors = errors;
    o.progress = progress;
    return o;
}
read_options options_for(const fs::path& path, const progress_callback& progress,
                         std::vector<parse_error>* errors = nullptr) {
    return options_for(path.filename().string(), progress, errors);
}

// The ids of a references table's rows, whatever else is wrong with them (to check usage
// without repeating a bad reference's error on every use of it).
std::unordered_set<std::string> reference_ids(std::string_view text, file_format format,
                                              const std::string& name) {
    std::unordered_set<std::string> ids;
    std::vector<parse_error> ignored;
    read_options o;
    o.source = name;
    o.errors = &ignored;
    try {
        detail::read_table(table_kind::references, text, format, o,
                           [&](detail::flat_record& r) { ids.emplace(detail::trim(r.get("id"))); });
    } catch (const error&) {
        // Unreadable: it is reported when the table itself is read.
    }
    return ids;
}

// A stand-in catalogue for a table checked without its products: every product id the table
// names, so that the other checks run and product ids are reported once as not checked.
void add_named_products(product_catalog& catalogue, std::string_view text, file_format format,
                        table_kind kind, const std::string& name) {
    std::vector<parse_error> ignored;
    read_options o;
    o.source = name;
    o.errors = &ignored;
    try {
        detail::read_table(kind, text, format, o, [&](detail::flat_record& r) {
            auto list = r.get("products");
            while (!list.empty()) {
                const auto cut = list.find(';');
                const auto id = detail::trim(list.substr(0, cut));
                if (!id.empty() && !catalogue.find(id)) catalogue.add({std::string(id), {}, {}});
                if (cut == std::string_view::npos) break;
                list.remove_prefix(cut + 1);
            }
        });
    } catch (const error&) {
        // Unreadable: it is reported when the table itself is read.
    }
}

parse_error products_not_checked(const std::string& table, std::string_view why) {
    return parse_error(table, 0, "products",
                       "a products.csv or products.json catalogue to check product ids against",
                       std::string(why) + ": product ids not checked");
}

std::unordered_set<std::string> reference_ids(const fs::path& path) {
    try {
        return reference_ids(read_file(path), format_of(path), path.filename().string());
    } catch (const error&) {
        return {};
    }
}

parse_error unreadable(const std::string& name, const error& e) {
    return parse_error(name, 0, "", "a readable file", e.what());
}
parse_error unreadable(const fs::path& path, const error& e) {
    return unreadable(path.filename().string(), e);
}

// Runs `f` and adds any parse_error or error it throws to `errors`.
template <class Name, class F>
void collect(std::vector<parse_error>& errors, const Name& name, F&& f) {
    try {
        f();
    } catch (const parse_error& e) {
        errors.push_back(e);
    } catch (const error& e) {
        errors.push_back(unreadable(name, e));
    }
}

// Checks an outcomes or content table (errors collected through `options`): codes against `v`,
// the references a content item features against the references table `references` (when
// given).
void check_side_table(table_kind kind, std::string_view text, file_format format,
                      const read_options& options, const vocabulary& v,
                      const std::optional<fs::path>& references) {
    if (kind == table_kind::outcomes) {
        (void)detail::read_outcomes(text, format, v, options);
        return;
    }
    const auto ids = references ? reference_ids(*references) : std::unordered_set<std::string>{};
    std::function<bool(std::string_view)> known;
    if (references) known = [&](std::string_view id) { return ids.count(std::string(id)) != 0; };
    (void)detail::read_content(text, format, v, options, known);
}

// The sources of the tables found in a program directory (paths in `all_kinds` order).
program_sources sources_of(const std::array<std::optional<fs::path>, 5>& paths) {
    program_sources s;
    std::optional<table_source>* slots[] = {&s.products, &s.quotas, &s.references, &s.prospects,
                                            &s.usage};
    for (std::size_t i = 0; i < paths.size(); ++i)
        if (paths[i])
            *slots[i] = table_source{paths[i]->filename().string(), format_of(*paths[i]),
                                     [path = *paths[i]] { return read_file(path); }};
    return s;
}

// The records with codes a program directory can hold: load_program reads with the standard
// taxonomies, which do not know an alias the program's own taxonomy was given (`add_alias`);
// such an alias is written as the code it stands for. Other codes are kept as they are.
template <class Record>
std::vector<Record> with_loadable_codes(std::vector<Record> records, const vocabulary& v) {
    static const taxonomy industries = naics2022();
    static const taxonomy geography = m49_geography();
    const auto fix = [](std::string& code, const taxonomy& own, const taxonomy& standard) {
        if (code.empty() || standard.find(code)) return;
        if (const auto n = own.find(code)) code = own.code(*n);
    };
    for (auto& r : records) {
        fix(r.industry, v.industries, industries);
        fix(r.country, v.geography, geography);
    }
    return records;
}

}  // namespace

std::optional<fs::path> detail::table_file(const fs::path& directory, table_kind kind) {
    return find_table(directory, kind);
}

program_tables read_program_tables(const program_sources& sources, const vocabulary& base,
                                   const progress_callback& progress,
                                   std::vector<parse_error>* errors) {
    // Each step reads one table; when collecting, a step that throws adds its error and the
    // next step goes on with what there is.
    const auto step = [&](const table_source& source, auto&& read) {
        if (!errors) return read(source.text(), options_for(source.name, progress));
        collect(*errors, source.name,
                [&] { read(source.text(), options_for(source.name, progress, errors)); });
    };
    auto v = std::make_shared<vocabulary>(base);
    program_tables out;
    const auto errors_before = errors ? errors->size() : 0;
    if (sources.products)
        step(*sources.products, [&](const std::string& text, const read_options& o) {
            v->products = parse_products(text, sources.products->format, o);
        });
    // When collecting, a catalogue that could not be read at all (UTF-16, a bad header) would
    // make every product of every reference and prospect an error: the tables are checked
    // against the ids they name instead, and that is said once per table.
    const bool catalogue_lost =
        errors && sources.products && v->products.size() == 0 && errors->size() != errors_before;
    const auto stand_in = [&](const table_source& source, table_kind kind) {
        if (!catalogue_lost) return;
        collect(*errors, source.name, [&] {
            add_named_products(v->products, source.text(), source.format, kind, source.name);
        });
        errors->push_back(
            products_not_checked(source.name, sources.products->name + " has no readable product"));
    };
    if (sources.quotas)
        step(*sources.quotas, [&](const std::string& text, const read_options& o) {
            out.quotas = parse_quotas(text, sources.quotas->format, v->activities, o);
        });
    out.vocab = v;
    // Usage must name a reference of the table (when collecting: any row of it).
    std::unordered_set<std::string> row_ids;
    if (sources.references) stand_in(*sources.references, table_kind::references);
    if (sources.prospects) stand_in(*sources.prospects, table_kind::prospects);
    if (sources.references)
        step(*sources.references, [&](const std::string& text, const read_options& o) {
            const auto format = sources.references->format;
            if (errors) row_ids = reference_ids(text, format, o.source);
            // Packed as read: a million references are never held as records.
            out.references = detail::parse_reference_batch(text, format, *v, o);
        });
    const auto read_prospects = [&] {
        if (sources.prospects)
            step(*sources.prospects, [&](const std::string& text, const read_options& o) {
                out.prospects = parse_prospects(text, sources.prospects->format, *v, o);
            });
    };
    const auto read_usage = [&] {
        // Likewise a references table without a readable row: its uses are not checked against it.
        const bool references_lost = errors && sources.references && row_ids.empty() &&
                                     out.references.empty() && errors->size() != errors_before;
        if (sources.usage && references_lost) {
            errors->push_back(
                parse_error(sources.usage->name, 0, "reference_id",
                            "a references table to check reference ids against",
                            sources.references->name +
                                " has no readable reference: reference ids not checked"));
            step(*sources.usage, [&](const std::string& text, const read_options& o) {
                out.usage = detail::parse_usage_batch(text, sources.usage->format, *v, o, {});
            });
        } else if (sources.usage && errors) {
            const std::function<bool(std::string_view)> known = [&](std::string_view id) {
                return row_ids.count(std::string(id)) != 0;
            };
            step(*sources.usage, [&](const std::string& text, const read_options& o) {
                out.usage = detail::parse_usage_batch(text, sources.usage->format, *v, o, known);
            });
        } else if (sources.usage) {
            // Each distinct reference id of the usage is checked once, after the table is read.
            // When one is not a reference, or a row is bad, the table is read again checking each
            // row's reference: its first error, by line, is the one reported.
            step(*sources.usage, [&](const std::string& text, const read_options& o) {
                const auto format = sources.usage->format;
                bool all_known = false;
                try {
                    out.usage = detail::parse_usage_batch(text, format, *v, o, {});
                    const auto named = detail::named_references(out.usage, out.references);
                    all_known = std::find(named.begin(), named.end(), false) == named.end();
                } catch (const parse_error&) {
                    // a bad row: the checked read below reports the first error, whichever it is
                }
                if (all_known) return;
                std::unordered_set<std::string_view> ids;
                for (const auto r : out.references) ids.insert(r.id());
                out.usage = detail::parse_usage_batch(
                    text, format, *v, o, [&](std::string_view id) { return ids.count(id) != 0; });
            });
        }
    };
    // The usage table, the largest, is read before the prospects, so that a large program's
    // prospects are not held beside its text; the errors keep the order of the tables (the
    // prospects' first, and a thrown one is the prospects' when both tables have one). When the
    // references table gave nothing, the prospects come first as they always did: whether any
    // table had an error decides how the usage is checked.
    const bool prospects_first = errors && row_ids.empty() && out.references.empty();
    if (prospects_first) read_prospects();
    const auto usage_errors_from = errors ? errors->size() : 0;
    std::exception_ptr usage_error;
    try {
        read_usage();
    } catch (const cancelled&) {
        throw;
    } catch (...) {
        usage_error = std::current_exception();
    }
    if (!prospects_first) {
        const auto prospects_errors_from = errors ? errors->size() : 0;
        read_prospects();
        if (errors)
            std::rotate(errors->begin() + static_cast<std::ptrdiff_t>(usage_errors_from),
                        errors->begin() + static_cast<std::ptrdiff_t>(prospects_errors_from),
                        errors->end());
    }
    if (usage_error) std::rethrow_exception(usage_error);
    return out;
}

std::unique_ptr<program> load_program(const fs::path& directory,
                                      const progress_callback& progress) {
    if (!is_program_directory(directory))
        throw error("'" + directory.string() + "': expected a program directory");
    std::array<std::optional<fs::path>, 5> paths;
    for (std::size_t i = 0; i < all_kinds.size(); ++i)
        paths[i] = find_table(directory, all_kinds[i]);
    if (!paths[0]) throw missing_table(table_kind::products);
    if (!paths[2]) throw missing_table(table_kind::references);

    return read_program_tables(sources_of(paths), *standard_vocabulary(), progress).assemble();
}

void save_program(const program& p, const fs::path& directory, file_format format) {
    std::error_code ec;
    fs::create_directories(directory, ec);
    if (ec)
        throw error("cannot create the directory '" + directory.string() + "': " + ec.message());
    const auto& v = *p.vocab;
    const auto path = [&](table_kind kind) { return directory / file_name(kind, format); };
    save_products(path(table_kind::products), v.products);
    save_quotas(path(table_kind::quotas), p.quotas, v.activities);
    save_references(path(table_kind::references), with_loadable_codes(p.references.all(), v), v);
    save_prospects(path(table_kind::prospects), with_loadable_codes(p.prospects.all(), v), v);
    save_usage(path(table_kind::usage), p.usage.events(), v);
    const auto other = format == file_format::csv ? file_format::json : file_format::csv;
    for (const auto kind : all_kinds) {
        const auto stale = directory / file_name(kind, other);
        if (!fs::remove(stale, ec) && ec)
            throw error("cannot remove '" + stale.string() + "': " + ec.message());
    }
}

std::vector<parse_error> check_program(const fs::path& directory) {
    std::vector<parse_error> errors;
    if (!is_program_directory(directory)) {
        errors.emplace_back(directory.string(), 0, "", "a program directory", "no such directory");
        return errors;
    }
    std::array<std::optional<fs::path>, 5> paths;
    std::array<bool, 5> found{};  // told apart: a table that is there but ambiguous or unreadable
    for (std::size_t i = 0; i < all_kinds.size(); ++i) {
        const auto before = errors.size();
        collect(errors, file_name(all_kinds[i], file_format::csv),
                [&] { paths[i] = find_table(directory, all_kinds[i]); });
        found[i] = paths[i] || errors.size() != before;
    }
    // A table found twice (csv and json) or not inspectable has been reported: not also missing.
    if (!found[0]) errors.push_back(missing_table(table_kind::products));
    if (!found[2]) errors.push_back(missing_table(table_kind::references));

    const auto tables = read_program_tables(sources_of(paths), *standard_vocabulary(), {}, &errors);
    for (const auto kind : side_kinds) {
        std::optional<fs::path> side;
        collect(errors, file_name(kind, file_format::csv),
                [&] { side = find_table(directory, kind); });
        if (!side) continue;
        collect(errors, *side, [&] {
            check_side_table(kind, read_file(*side), format_of(*side),
                             options_for(*side, {}, &errors), *tables.vocab, paths[2]);
        });
    }
    return errors;
}

std::vector<parse_error> check_file(const fs::path& path) {
    if (is_program_directory(path)) return check_program(path);
    std::vector<parse_error> errors;
    const std::string stem = path.stem().string();
    std::optional<table_kind> kind;
    constexpr std::array<table_kind, 7> kinds = {all_kinds[0], all_kinds[1], all_kinds[2],
                                                 all_kinds[3], all_kinds[4], side_kinds[0],
                                                 side_kinds[1]};
    for (const auto k : kinds) {
        const auto name = detail::name_of(k);
        const bool named = stem == name || (stem.size() > name.size() &&
                                            (stem.starts_with(std::string(name) + "_") ||
                                             stem.starts_with(std::string(name) + "-") ||
                                             stem.ends_with("_" + std::string(name)) ||
                                             stem.ends_with("-" + std::string(name))));
        if (named && !kind) kind = k;
    }
    if (!kind)
        throw error("'" + path.filename().string() +
                    "': expected a file named after its table (products, quotas, references, "
                    "prospects, usage, outcomes or content, with .csv or .json)");
    file_format format{};
    std::string text;
    try {
        format = format_of(path);
        text = read_file(path);
    } catch (const error& e) {
        errors.push_back(unreadable(path, e));
        return errors;
    }

    // The context: the products, quota table and references beside the file, read leniently
    // (their own errors belong to their own check).
    const auto dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::vector<parse_error> ignored;
    const auto sibling = [&](table_kind k) -> std::optional<fs::path> {
        try {
            return find_table(dir, k);
        } catch (const error&) {
            return std::nullopt;
        }
    };
    std::array<std::optional<fs::path>, 5> context;
    if (*kind != table_kind::products && *kind != table_kind::quotas) {
        context[0] = sibling(table_kind::products);
        context[1] = sibling(table_kind::quotas);
    }
    const auto vocab = std::make_shared<vocabulary>(
        *read_program_tables(sources_of(context), *standard_vocabulary(), {}, &ignored).vocab);
    if ((*kind == table_kind::references || *kind == table_kind::prospects ||
         *kind == table_kind::content) &&
        vocab->products.size() == 0) {
        // One message for the missing catalogue instead of one per row.
        add_named_products(vocab->products, text, format, *kind, path.filename().string());
        if (vocab->products.size() != 0)
            errors.push_back(products_not_checked(
                path.filename().string(),
                context[0] ? context[0]->filename().string() + " beside it has no readable product"
                           : "no products.csv or products.json beside it"));
    }
    const auto options = options_for(path, {}, &errors);
    switch (*kind) {
        case table_kind::products:
            (void)parse_products(text, format, options);
            break;
        case table_kind::quotas: {
            activity_catalog fresh;
            (void)parse_quotas(text, format, fresh, options);
            break;
        }
        case table_kind::references:
            (void)parse_references(text, format, *vocab, options);
            break;
        case table_kind::prospects:
            (void)parse_prospects(text, format, *vocab, options);
            break;
        case table_kind::usage: {
            const auto refs = sibling(table_kind::references);
            const auto ids = refs ? reference_ids(*refs) : std::unordered_set<std::string>{};
            std::function<bool(std::string_view)> known;
            if (refs && ids.empty()) {
                // An unreadable references file (UTF-16, say) is said once, not on every use.
                errors.push_back(parse_error(
                    path.filename().string(), 0, "reference_id",
                    "a references table to check reference ids against",
                    refs->filename().string() +
                        " beside it has no readable reference: reference ids not checked"));
            } else if (refs) {
                known = [&](std::string_view id) { return ids.count(std::string(id)) != 0; };
            }
            (void)parse_usage(text, format, *vocab, options, known);
            break;
        }
        case table_kind::outcomes:
        case table_kind::content:
            check_side_table(*kind, text, format, options, *vocab, sibling(table_kind::references));
            break;
    }
    return errors;
}

}  // namespace refmatch
