// Program directories: load_program, save_program, check_program, check_file.

#include "io/tables.hpp"

#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

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

std::string file_name(table_kind kind, file_format format) {
    return std::string(detail::name_of(kind)) + (format == file_format::csv ? ".csv" : ".json");
}

// The file of a table in a program directory, if any. @throws parse_error when both formats
// are present (which one would be meant is unclear).
std::optional<fs::path> find_table(const fs::path& dir, table_kind kind) {
    const auto csv = dir / file_name(kind, file_format::csv);
    const auto json = dir / file_name(kind, file_format::json);
    const bool has_csv = fs::exists(csv);
    const bool has_json = fs::exists(json);
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

read_options options_for(const std::string& name, const program_progress_callback& progress,
                         std::vector<parse_error>* errors = nullptr) {
    read_options o;
    o.source = name;
    o.errors = errors;
    if (progress)
        o.progress = [progress, name = o.source](std::size_t done, std::size_t total) {
            progress(name, done, total);
        };
    return o;
}
read_options options_for(const fs::path& path, const program_progress_callback& progress,
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

}  // namespace

program_tables read_program_tables(const program_sources& sources, const vocabulary& base,
                                   const program_progress_callback& progress,
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
    if (sources.products)
        step(*sources.products, [&](const std::string& text, const read_options& o) {
            v->products = parse_products(text, sources.products->format, o);
        });
    if (sources.quotas)
        step(*sources.quotas, [&](const std::string& text, const read_options& o) {
            out.quotas = parse_quotas(text, sources.quotas->format, v->activities, o);
        });
    out.vocab = v;
    // Usage must name a reference of the table (when collecting: any row of it).
    std::unordered_set<std::string> row_ids;
    if (sources.references)
        step(*sources.references, [&](const std::string& text, const read_options& o) {
            const auto format = sources.references->format;
            if (errors) row_ids = reference_ids(text, format, o.source);
            out.references = parse_references(text, format, *v, o);
        });
    if (sources.prospects)
        step(*sources.prospects, [&](const std::string& text, const read_options& o) {
            out.prospects = parse_prospects(text, sources.prospects->format, *v, o);
        });
    if (sources.usage) {
        std::unordered_set<std::string_view> ids;
        if (!errors) {
            ids.reserve(out.references.size());
            for (const auto& r : out.references) ids.insert(r.id);
        }
        const std::function<bool(std::string_view)> known = [&](std::string_view id) {
            return errors ? row_ids.count(std::string(id)) != 0 : ids.count(id) != 0;
        };
        step(*sources.usage, [&](const std::string& text, const read_options& o) {
            out.usage = parse_usage(text, sources.usage->format, *v, o, known);
        });
    }
    return out;
}

std::unique_ptr<program> load_program(const fs::path& directory,
                                      const program_progress_callback& progress) {
    if (!fs::is_directory(directory))
        throw error("'" + directory.string() + "': expected a program directory");
    std::array<std::optional<fs::path>, 5> paths;
    for (std::size_t i = 0; i < all_kinds.size(); ++i)
        paths[i] = find_table(directory, all_kinds[i]);
    if (!paths[0]) throw missing_table(table_kind::products);
    if (!paths[2]) throw missing_table(table_kind::references);

    return read_program_tables(sources_of(paths), *standard_vocabulary(), progress).assemble();
}

void save_program(const program& p, const fs::path& directory, file_format format) {
    fs::create_directories(directory);
    const auto& v = *p.vocab;
    const auto path = [&](table_kind kind) { return directory / file_name(kind, format); };
    save_products(path(table_kind::products), v.products);
    save_quotas(path(table_kind::quotas), p.quotas, v.activities);
    save_references(path(table_kind::references), p.references.all(), v);
    save_prospects(path(table_kind::prospects), p.prospects.all(), v);
    save_usage(path(table_kind::usage), p.usage.events(), v);
    const auto other = format == file_format::csv ? file_format::json : file_format::csv;
    for (const auto kind : all_kinds) fs::remove(directory / file_name(kind, other));
}

std::vector<parse_error> check_program(const fs::path& directory) {
    std::vector<parse_error> errors;
    if (!fs::is_directory(directory)) {
        errors.emplace_back(directory.string(), 0, "", "a program directory", "no such directory");
        return errors;
    }
    std::array<std::optional<fs::path>, 5> paths;
    for (std::size_t i = 0; i < all_kinds.size(); ++i)
        collect(errors, directory, [&] { paths[i] = find_table(directory, all_kinds[i]); });
    if (!paths[0]) errors.push_back(missing_table(table_kind::products));
    if (!paths[2]) errors.push_back(missing_table(table_kind::references));

    (void)read_program_tables(sources_of(paths), *standard_vocabulary(), {}, &errors);
    return errors;
}

std::vector<parse_error> check_file(const fs::path& path) {
    if (fs::is_directory(path)) return check_program(path);
    std::vector<parse_error> errors;
    const std::string stem = path.stem().string();
    std::optional<table_kind> kind;
    for (const auto k : all_kinds) {
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
                    "prospects or usage, with .csv or .json)");
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
        } catch (const parse_error&) {
            return std::nullopt;
        }
    };
    std::array<std::optional<fs::path>, 5> context;
    if (*kind != table_kind::products && *kind != table_kind::quotas) {
        context[0] = sibling(table_kind::products);
        context[1] = sibling(table_kind::quotas);
    }
    const auto vocab =
        read_program_tables(sources_of(context), *standard_vocabulary(), {}, &ignored).vocab;
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
            if (refs) known = [&](std::string_view id) { return ids.count(std::string(id)) != 0; };
            (void)parse_usage(text, format, *vocab, options, known);
            break;
        }
    }
    return errors;
}

}  // namespace refmatch
