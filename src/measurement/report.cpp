// The program report as one HTML file: figures from the measurement functions, charts drawn as
// inline SVG here (no library, no network), a few lines of CSS.

#include <refmatch/content/library.hpp>
#include <refmatch/io.hpp>
#include <refmatch/measurement/report.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

namespace refmatch::measurement {
namespace {

std::string escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string num(double v, int digits = 1) {
    if (std::isnan(v)) return "–";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
}

std::string money(double v) {
    if (std::isnan(v)) return "–";
    const bool negative = v < 0;
    std::string digits = std::to_string(static_cast<long long>(std::llround(std::abs(v))));
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return (negative ? "−" : "") + digits;
}

std::string percent(double share, int digits = 1) {
    return num(100 * share, digits) + "%";
}

std::string interval(const estimate& e, int digits, double scale = 1, std::string unit = "") {
    if (std::isnan(e.value)) return "–";
    return num(scale * e.value, digits) + unit + " [" + num(scale * e.low, digits) + unit + ", " +
           num(scale * e.high, digits) + unit + "]";
}

std::string money_interval(const estimate& e) {
    if (std::isnan(e.value)) return "–";
    return money(e.value) + " [" + money(e.low) + ", " + money(e.high) + "]";
}

// --- Charts -------------------------------------------------------------------------------------

std::string lorenz_chart(const concentration& c) {
    const double x0 = 50, y0 = 330, w = 280, h = 280;
    std::string points;
    const std::size_t n = c.lorenz.size();
    const std::size_t step = std::max<std::size_t>(1, n / 200);
    for (std::size_t i = 0; i < n; i += step) {
        if (i + step >= n) i = n - 1;
        points +=
            num(x0 + w * c.lorenz[i].first, 1) + "," + num(y0 - h * c.lorenz[i].second, 1) + " ";
        if (i == n - 1) break;
    }
    std::string s =
        "<svg id=\"chart-lorenz\" role=\"img\" viewBox=\"0 0 360 370\" width=\"360\" "
        "height=\"370\" xmlns=\"http://www.w3.org/2000/svg\">"
        "<title>Lorenz curve of uses over active references</title>";
    s += "<rect x=\"50\" y=\"50\" width=\"280\" height=\"280\" fill=\"#fafafa\" stroke=\"#999\"/>";
    s += "<line x1=\"50\" y1=\"330\" x2=\"330\" y2=\"50\" stroke=\"#bbb\" stroke-dasharray=\"4 "
         "4\"/>";
    s += "<polyline fill=\"none\" stroke=\"#1f6fb2\" stroke-width=\"2.5\" points=\"" + points +
         "\"/>";
    for (int t = 0; t <= 4; ++t) {
        const double f = t / 4.0;
        s += "<text x=\"" + num(x0 + w * f, 0) +
             "\" y=\"348\" font-size=\"11\" "
             "text-anchor=\"middle\">" +
             num(100 * f, 0) + "%</text>";
        s += "<text x=\"44\" y=\"" + num(y0 - h * f + 4, 0) +
             "\" font-size=\"11\" "
             "text-anchor=\"end\">" +
             num(100 * f, 0) + "%</text>";
    }
    s += "<text x=\"190\" y=\"365\" font-size=\"12\" text-anchor=\"middle\">share of active "
         "references (least used first)</text>";
    s += "<text x=\"190\" y=\"30\" font-size=\"12\" text-anchor=\"middle\">Gini " + num(c.gini, 2) +
         ", top 10% of references hold " + percent(c.top10_share, 0) + " of uses</text>";
    return s + "</svg>";
}

struct bar {
    std::string label;
    double value = 0;
    std::string text;
};

std::string bar_chart(std::string_view id, std::string_view title, const std::vector<bar>& bars) {
    const double label_w = 330, bar_w = 300, row = 22;
    const double height = 30 + row * static_cast<double>(std::max<std::size_t>(bars.size(), 1));
    double top = 0;
    for (const auto& b : bars) top = std::max(top, b.value);
    std::string s = "<svg id=\"" + std::string(id) + "\" role=\"img\" viewBox=\"0 0 800 " +
                    num(height, 0) + "\" width=\"800\" height=\"" + num(height, 0) +
                    "\" xmlns=\"http://www.w3.org/2000/svg\"><title>" + escape(title) + "</title>";
    if (bars.empty()) s += "<text x=\"10\" y=\"30\" font-size=\"13\">nothing to show</text>";
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const double y = 20 + row * static_cast<double>(i);
        const double len = top > 0 ? bar_w * bars[i].value / top : 0;
        s += "<text x=\"" + num(label_w - 6, 0) + "\" y=\"" + num(y + 14, 0) +
             "\" font-size=\"12\" text-anchor=\"end\">" + escape(bars[i].label) + "</text>";
        s += "<rect x=\"" + num(label_w, 0) + "\" y=\"" + num(y + 2, 0) + "\" width=\"" +
             num(std::max(len, 1.0), 1) + "\" height=\"16\" fill=\"#1f6fb2\"/>";
        s += "<text x=\"" + num(label_w + len + 6, 0) + "\" y=\"" + num(y + 14, 0) +
             "\" font-size=\"12\">" + escape(bars[i].text) + "</text>";
    }
    return s + "</svg>";
}

std::string win_rate_chart(const comparison& c) {
    std::string s =
        "<svg id=\"chart-win-rates\" role=\"img\" viewBox=\"0 0 420 260\" width=\"420\" "
        "height=\"260\" xmlns=\"http://www.w3.org/2000/svg\"><title>Win rate with and without "
        "reference activity, 95% Wilson intervals</title>";
    s += "<line x1=\"60\" y1=\"220\" x2=\"400\" y2=\"220\" stroke=\"#999\"/>";
    for (int t = 0; t <= 4; ++t) {
        const double y = 220 - 180 * t / 4.0;
        s += "<text x=\"54\" y=\"" + num(y + 4, 0) + "\" font-size=\"11\" text-anchor=\"end\">" +
             num(25.0 * t, 0) + "%</text>";
        s += "<line x1=\"60\" y1=\"" + num(y, 0) + "\" x2=\"400\" y2=\"" + num(y, 0) +
             "\" stroke=\"#eee\"/>";
    }
    const std::array<std::pair<const char*, const estimate*>, 2> groups = {
        {{"with reference activity", &c.win_rate_with}, {"without", &c.win_rate_without}}};
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const auto& e = *groups[i].second;
        const double x = 110 + 160 * static_cast<double>(i);
        const double v = std::isnan(e.value) ? 0 : e.value;
        s += "<rect x=\"" + num(x, 0) + "\" y=\"" + num(220 - 180 * v, 1) +
             "\" width=\"80\" height=\"" + num(180 * v, 1) + "\" fill=\"" +
             (i == 0 ? "#1f6fb2" : "#9bb7d4") + "\"/>";
        if (!std::isnan(e.low)) {
            const double cx = x + 40;
            s += "<line x1=\"" + num(cx, 0) + "\" y1=\"" + num(220 - 180 * e.low, 1) + "\" x2=\"" +
                 num(cx, 0) + "\" y2=\"" + num(220 - 180 * e.high, 1) +
                 "\" stroke=\"#222\" stroke-width=\"1.5\"/>";
            for (const double b : {e.low, e.high})
                s += "<line x1=\"" + num(cx - 8, 0) + "\" y1=\"" + num(220 - 180 * b, 1) +
                     "\" x2=\"" + num(cx + 8, 0) + "\" y2=\"" + num(220 - 180 * b, 1) +
                     "\" stroke=\"#222\" stroke-width=\"1.5\"/>";
        }
        s += "<text x=\"" + num(x + 40, 0) +
             "\" y=\"238\" font-size=\"12\" "
             "text-anchor=\"middle\">" +
             groups[i].first + "</text>";
        s += "<text x=\"" + num(x + 40, 0) +
             "\" y=\"254\" font-size=\"12\" "
             "text-anchor=\"middle\">" +
             percent(e.value) + "</text>";
    }
    return s + "</svg>";
}

std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
    std::string s = "<table><thead><tr>";
    for (const auto& h : header) s += "<th>" + escape(h) + "</th>";
    s += "</tr></thead><tbody>";
    for (const auto& r : rows) {
        s += "<tr>";
        for (const auto& c : r) s += "<td>" + escape(c) + "</td>";
        s += "</tr>";
    }
    return s + "</tbody></table>";
}

std::string segment_title(const vocabulary& v, const std::string& label) {
    // "52 × 021 × 1000-4999" with the sector's and region's titles.
    std::vector<std::string> parts;
    std::size_t start = 0;
    const std::string sep = " × ";
    while (true) {
        const auto at = label.find(sep, start);
        parts.push_back(label.substr(start, at - start));
        if (at == std::string::npos) break;
        start = at + sep.size();
    }
    if (parts.size() != 3) return label;
    const auto title = [](const taxonomy& t, const std::string& code) {
        if (code == "?") return std::string("unknown");
        const auto n = t.find(code);
        return n ? t.title(*n) : code;
    };
    std::string sector = title(v.industries, parts[0]);
    if (sector.size() > 26) sector = sector.substr(0, 24) + "…";
    return sector + " · " + title(v.geography, parts[1]) + " · " +
           (parts[2] == "?" ? std::string("size ?") : parts[2]);
}

}  // namespace

report_figures compute_report(const program& p, std::span<const opportunity_outcome> outcomes,
                              std::span<const content::content_item> items,
                              const report_options& options) {
    report_figures f;
    auto io = options.influence;
    io.to = options.now;
    io.from = options.now - std::chrono::days(options.influence_days);
    const auto usage = p.usage.events();
    f.influence = measure_influence(usage, outcomes, *p.vocab, io);
    auto bo = options.balance;
    bo.now = options.now;
    f.balance = measure_balance(p, bo, options.declines);
    auto ro = options.recruit;
    ro.gaps.match.now = options.now;
    ro.advocacy.now = options.now;
    const auto pipeline = p.prospects.all();
    f.recruit = recommend_recruits(p, pipeline, ro);
    f.nps = base_nps(p);
    f.content_items = items.size();
    const content::content_matcher library(p, items, options.now);
    f.usable_content = library.size();
    f.content_gaps = library.gaps(pipeline, ro.gaps).uncovered;
    return f;
}

std::string render_report(const program& p, const report_figures& f,
                          const report_options& options) {
    const auto& inf = f.influence;
    const auto& vs = inf.versus;
    std::string h =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>" +
        escape(options.title) +
        "</title><style>"
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
        "max-width:1000px;color:#222;line-height:1.4}h1{margin-bottom:0}"
        "h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}"
        ".kpis{display:flex;flex-wrap:wrap;gap:1em}.kpi{background:#f3f6fa;padding:.6em 1em;"
        "border-radius:6px;min-width:180px}.kpi b{display:block;font-size:1.4em}"
        "table{border-collapse:collapse;margin:.8em 0}td,th{border-bottom:1px solid #eee;"
        "padding:.25em .8em;text-align:left}th{background:#f7f7f7}"
        ".note{color:#555;font-size:.92em}</style></head><body>";
    h += "<h1>" + escape(options.title) + "</h1><p class=\"note\">As of " +
         format_date(options.now) + ". Deals closed " +
         format_date(options.now - std::chrono::days(options.influence_days)) + " to " +
         format_date(options.now) + "; " + std::string(to_string(options.influence.rule)) +
         " attribution of uses within " + std::to_string(options.influence.window_days) +
         " days before the close.</p>";

    // Influence.
    h += "<h2>Influence</h2><div class=\"kpis\">";
    const auto kpi = [&](const std::string& label, const std::string& value) {
        h += "<div class=\"kpi\">" + escape(label) + "<b>" + escape(value) + "</b></div>";
    };
    kpi("Won revenue", money(inf.won_revenue));
    kpi("Influenced by references",
        money(inf.influenced_revenue) + " (" +
            percent(inf.won_revenue > 0 ? inf.influenced_revenue / inf.won_revenue : 0) + ")");
    kpi("Win-rate ratio (Mantel–Haenszel)", interval(vs.pooled_ratio, 2));
    kpi("NPS of the customer base", interval(f.nps.score, 0));
    h += "</div>";
    std::vector<std::pair<std::string, credit_total>> segments(inf.by_segment.begin(),
                                                               inf.by_segment.end());
    std::stable_sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) {
        return a.second.revenue > b.second.revenue;
    });
    std::vector<bar> seg_bars;
    for (std::size_t i = 0; i < segments.size() && i < 12; ++i)
        seg_bars.push_back({segment_title(*p.vocab, segments[i].first), segments[i].second.revenue,
                            money(segments[i].second.revenue) + " · " +
                                std::to_string(segments[i].second.deals) + " deals"});
    h += "<h3>Influenced revenue by segment (sector · region · size)</h3>";
    h += bar_chart("chart-segments", "Influenced revenue by segment", seg_bars);
    h += "<h3>Win rate with and without reference activity</h3>" + win_rate_chart(vs);
    h += table({"", "with reference activity", "without"},
               {{"closed deals", std::to_string(vs.closed_with), std::to_string(vs.closed_without)},
                {"won", std::to_string(vs.won_with), std::to_string(vs.won_without)},
                {"win rate [95% Wilson]", interval(vs.win_rate_with, 1, 100, "%"),
                 interval(vs.win_rate_without, 1, 100, "%")}});
    h += table(
        {"difference, with − without", "estimate [95% bootstrap]"},
        {{"mean won deal size", money_interval(vs.deal_size_difference)},
         {"mean sales cycle of won deals (days)", interval(vs.cycle_days_difference, 1)},
         {"win-rate ratio, stratified by segment × deal size", interval(vs.pooled_ratio, 2)}});
    h += "<p class=\"note\"><b>Association, not cause.</b> Deals that had references differ "
         "from deals that did not in ways these figures cannot see (references are asked for "
         "deals that are going well, or badly); stratifying by segment and deal size removes "
         "only those two differences.</p>";
    std::vector<std::pair<std::string, credit_total>> refs(inf.by_reference.begin(),
                                                           inf.by_reference.end());
    std::stable_sort(refs.begin(), refs.end(), [](const auto& a, const auto& b) {
        return a.second.revenue > b.second.revenue;
    });
    std::vector<std::vector<std::string>> ref_rows;
    for (std::size_t i = 0; i < refs.size() && i < 10; ++i)
        ref_rows.push_back({refs[i].first, money(refs[i].second.revenue),
                            std::to_string(refs[i].second.deals),
                            std::to_string(refs[i].second.uses)});
    h += "<h3>References with the most influenced revenue</h3>" +
         table({"reference", "credited revenue", "won deals", "uses"}, ref_rows);

    // Balance.
    const auto& b = f.balance;
    h += "<h2>Balance of use</h2>";
    h += "<p>" + std::to_string(b.uses) + " uses of " + std::to_string(b.references.size()) +
         " active references in the " + std::to_string(options.balance.period_days) + " days to " +
         format_date(options.now) + ": the top 5% of references did " +
         percent(b.spread.top5_share) + " of them, the top 10% " + percent(b.spread.top10_share) +
         " (Gini " + num(b.spread.gini, 2) + ").</p>";
    h += lorenz_chart(b.spread);
    h += table(
        {"", "references"},
        {{"never asked, with headroom", std::to_string(b.never_asked_with_headroom.size())},
         {"at a quota", std::to_string(b.at_quota.size())},
         {"not contacted for " + std::to_string(options.balance.not_contacted_days) + " days",
          std::to_string(b.not_contacted.size())},
         {"high decline rate", options.declines.empty() ? std::string("no request data")
                                                        : std::to_string(b.high_decline.size())}});

    // Recruitment.
    const auto& r = f.recruit;
    h += "<h2>Recruiting shortlist</h2>";
    h += "<p>" + std::to_string(r.uncovered) + " of " + std::to_string(r.prospects) +
         " open opportunities lack a good reference: " + money(r.value_at_risk) + " of " +
         money(r.pipeline_value) +
         " pipeline at risk. Recruiting these candidates, in this "
         "order, covers the most of it together:</p>";
    std::vector<bar> picks;
    std::vector<std::vector<std::string>> pick_rows;
    std::unordered_map<std::string, const recruit_candidate*> candidate_of;
    for (const auto& c : r.candidates) candidate_of[c.reference_id] = &c;
    for (std::size_t i = 0; i < r.shortlist.size(); ++i) {
        const auto& pk = r.shortlist[i];
        const auto ref = p.references.find(pk.reference_id);
        const std::string name = ref ? ref->name : pk.reference_id;
        picks.push_back({std::to_string(i + 1) + ". " + pk.reference_id, pk.marginal_value,
                         money(pk.marginal_value)});
        const auto* c = candidate_of.at(pk.reference_id);
        pick_rows.push_back({std::to_string(i + 1), pk.reference_id, name, money(pk.marginal_value),
                             money(pk.cumulative_value), std::to_string(pk.newly_covered.size()),
                             num(c->advocacy.score, 2)});
    }
    h += bar_chart("chart-shortlist", "Recruiting shortlist: marginal pipeline value covered",
                   picks);
    h += table({"pick", "candidate", "name", "marginal value", "cumulative",
                "opportunities covered", "advocacy"},
               pick_rows);

    // Service levels: from the requests workflow.
    h += "<h2>Service levels</h2>";
    if (options.service_levels.empty()) {
        h += "<p class=\"note\">No request data was given: service levels come from the "
             "requests workflow.</p>";
    } else {
        std::vector<bar> levels;
        for (const auto& s : options.service_levels)
            levels.push_back(
                {s.label,
                 s.requests ? static_cast<double>(s.met) / static_cast<double>(s.requests) : 0,
                 percent(s.requests ? static_cast<double>(s.met) / static_cast<double>(s.requests)
                                    : 0) +
                     " on time of " + std::to_string(s.requests) + ", median " +
                     num(s.median_days, 1) + " days"});
        h += bar_chart("chart-service-levels", "Requests served by their needed-by day", levels);
    }

    // Materials library.
    h += "<h2>Materials library</h2><p>" + std::to_string(f.usable_content) + " of " +
         std::to_string(f.content_items) +
         " items usable today (approved or published, not expired); " +
         std::to_string(f.content_gaps) +
         " open opportunities have no usable item scoring at least " +
         num(options.recruit.gaps.threshold, 2) + ".</p>";

    const int charts = 4 + (options.service_levels.empty() ? 0 : 1);
    h += "<script>(function(){var n=document.querySelectorAll('svg[id^=\"chart-\"]').length;"
         "document.body.setAttribute('data-charts',String(n));if(n!==" +
         std::to_string(charts) + ")console.error('expected " + std::to_string(charts) +
         " charts, found '+n);})();</script></body></html>\n";
    return h;
}

void write_report(const std::filesystem::path& path, const program& p,
                  std::span<const opportunity_outcome> outcomes,
                  std::span<const content::content_item> items, const report_options& options) {
    const auto figures = compute_report(p, outcomes, items, options);
    write_file_atomically(path, render_report(p, figures, options));
}

}  // namespace refmatch::measurement
