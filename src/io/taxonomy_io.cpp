// Taxonomy CSV files: code,title,parent[,level].

#include "io/csv.hpp"

#include <refmatch/io.hpp>

#include <array>
#include <charconv>
#include <optional>
#include <vector>

namespace refmatch {

taxonomy parse_taxonomy_csv(std::string_view text, std::string_view source, std::string root_code,
                            std::string root_title) {
    static constexpr std::array<detail::column_spec, 4> specs = {
        {{"code", true}, {"title", true}, {"parent", true}, {"level", false}}};
    const std::string file(source);
    std::optional<detail::csv_columns> columns;
    std::vector<taxonomy_entry> entries;
    std::vector<std::pair<std::size_t, std::string>> levels;  // entry index -> level text
    detail::read_csv(
        text, file, [&](detail::csv_row& header) { columns.emplace(file, header, specs); },
        [&](detail::csv_row& row) {
            columns->check_width(row);
            taxonomy_entry e;
            e.code = std::string(detail::trim(columns->get(row, "code")));
            e.title = std::string(columns->get(row, "title"));
            e.parent = std::string(detail::trim(columns->get(row, "parent")));
            e.line = row.line;
            if (columns->has("level"))
                levels.emplace_back(entries.size(),
                                    std::string(detail::trim(columns->get(row, "level"))));
            entries.push_back(std::move(e));
        });
    taxonomy t(std::move(root_code), std::move(root_title), entries, file);
    for (const auto& [i, level] : levels) {
        const auto& e = entries[i];
        const auto depth = t.depth(*t.find(e.code));
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(level.data(), level.data() + level.size(), value);
        if (ec != std::errc{} || end != level.data() + level.size() || value != depth)
            throw parse_error(file, e.line, "level",
                              "the code's depth in the tree (" + std::to_string(depth) + ")",
                              detail::printable(level));
    }
    return t;
}

taxonomy load_taxonomy_csv(const std::filesystem::path& path, std::string root_code,
                           std::string root_title) {
    return parse_taxonomy_csv(read_file(path), path.filename().string(), std::move(root_code),
                              std::move(root_title));
}

}  // namespace refmatch
