// The referral program from the command line (docs/referrals.md):
//   refmatch referral add     --program P --id R --referrer C --name N [--domain --email ...]
//   refmatch referral list    --program P [--status S] [--referrer C]
//   refmatch referral check   --program P [--window D --max-per-day N --max-per-week N]
//   refmatch referral convert --program P R [--to converted|qualified|lost] [--date D] [--value V]
//   refmatch referral rewards --program P [--approve ID | --issue ID |
//                                          --override R --level L --reason WHY [--by WHO]]
//   refmatch referral report  --program P [--by channel|campaign|variant|referrer]
//                                          [--ab A B [--planned N]] [--seed S]
//                                          [--other-leads N --other-converted K]
//   refmatch referral import  --program FILE DIR     a referral program directory into a database
//   refmatch referral generate --out DIR [--referrals N] [--seed S]   a synthetic program
// --program is a referral program directory (files) or a program database file. Every write is
// one transaction (database) or rewrites the files atomically (directory).

#include "commands.hpp"
#include "program_source.hpp"

#include <refmatch/referrals/checks.hpp>
#include <refmatch/referrals/generator.hpp>
#include <refmatch/referrals/program.hpp>
#include <refmatch/referrals/statistics.hpp>

#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

namespace refmatch::cli {
namespace {

namespace rr = referrals;

struct referral_options {
    std::string program;
    // add
    std::string id, referrer, name, domain, email, country, channel, campaign, variant, day;
    // list
    std::string status;
    // check
    rr::check_options checks;
    // convert
    std::string to = "converted", opportunity;
    double value = 0;
    // rewards
    std::string approve, issue, override_referral, level, reason, by;
    // report
    std::string group_by = "channel";
    std::vector<std::string> ab;
    std::uint64_t planned = 0;
    std::uint64_t seed = 1;
    std::uint32_t resamples = 2000;
    std::uint64_t other_leads = 0, other_converted = 0;
    // import, generate
    std::string directory;
    std::size_t referrals = 2000;
};

date today() {
    return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
}

date day_or_today(const std::string& text, const char* option) {
    if (text.empty()) return today();
    const auto d = parse_date(text);
    if (!d) throw parse_error("", 0, option, "a date YYYY-MM-DD", text);
    return *d;
}

// A referral program where --program says: the database's tables, or a directory of files
// (read, changed through the same operations, written back).
class referral_store {
public:
    explicit referral_store(const std::string& path) : path_(path) {
        if (!is_program_directory(path)) db_.emplace(path);
    }
    [[nodiscard]] rr::referral_program load() const {
        return db_ ? db_->load() : rr::load_referral_program(path_);
    }
    template <class DbOp, class FileOp>
    void write(const DbOp& db_op, const FileOp& file_op) {
        if (db_) {
            db_op(*db_);
            return;
        }
        auto p = rr::load_referral_program(path_);
        file_op(p);
        rr::save_referral_program(p, path_, std::filesystem::exists(path_ / "referrals.json"));
    }

private:
    std::filesystem::path path_;
    std::optional<rr::referral_database> db_;
};

// A plain text table: columns padded to their widest cell.
class text_table {
public:
    explicit text_table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void print(std::ostream& out) const {
        std::vector<std::size_t> width(rows_[0].size(), 0);
        for (const auto& r : rows_)
            for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
        for (const auto& r : rows_) {
            std::string line;
            for (std::size_t c = 0; c < r.size(); ++c) {
                line += r[c];
                if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
            }
            out << line << '\n';
        }
    }
    [[nodiscard]] std::size_t size() const { return rows_.size() - 1; }

private:
    std::vector<std::vector<std::string>> rows_;
};

std::string fixed(double v, int digits = 2) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << v;
    return s.str();
}
std::string percent(double v) {
    return fixed(100 * v, 1) + "%";
}
std::string p_value(double p) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, p < 1e-4 ? "%.2e" : "%.4f", p);
    return buffer;
}

int run_add(const referral_options& o) {
    rr::referral r;
    r.id = o.id;
    r.referrer_id = o.referrer;
    r.referred = {o.name, o.domain, o.email, o.country};
    r.channel = o.channel;
    r.campaign = o.campaign;
    r.variant = o.variant;
    r.referred_on = day_or_today(o.day, "--date");
    referral_store store(o.program);
    store.write([&](rr::referral_database& db) { db.add_referral(r); },
                [&](rr::referral_program& p) { rr::add_referral(p, r); });
    std::cout << o.program << ": added referral " << r.id << " of " << o.name << " by "
              << o.referrer << " on " << format_date(r.referred_on) << '\n';
    return 0;
}

int run_list(const referral_options& o) {
    const auto p = referral_store(o.program).load();
    const auto report = rr::check_referrals(p.referrals, p.accounts, p.overrides, o.checks);
    text_table t({"referral", "referrer", "organisation", "channel", "campaign", "variant",
                  "referred", "status", "value", "checks"});
    for (std::size_t i = 0; i < p.referrals.size(); ++i) {
        const auto& r = p.referrals[i];
        if (!o.status.empty() && rr::to_string(r.status) != o.status) continue;
        if (!o.referrer.empty() && r.referrer_id != o.referrer) continue;
        t.add({r.id, r.referrer_id, r.referred.name.empty() ? r.referred.domain : r.referred.name,
               r.channel, r.campaign, r.variant, format_date(r.referred_on),
               std::string(rr::to_string(r.status)),
               r.status == rr::referral_status::converted ? fixed(r.deal_value, 0) : "",
               std::string(rr::to_string(report.levels[i]))});
    }
    t.print(std::cout);
    std::cout << t.size() << " referrals\n";
    return 0;
}

int run_check(const referral_options& o) {
    referral_store store(o.program);
    rr::check_report report;
    std::vector<std::string> ids;
    store.write([&](rr::referral_database& db) { report = db.run_checks(o.checks); },
                [&](rr::referral_program& p) {
                    report = rr::check_referrals(p.referrals, p.accounts, p.overrides, o.checks);
                    rr::apply_checks(p, report);
                });
    text_table t({"referral", "level", "check", "reason"});
    for (const auto& f : report.findings)
        t.add({f.referral_id, std::string(rr::to_string(f.level)),
               std::string(rr::to_string(f.kind)), f.reason});
    if (t.size() > 0) t.print(std::cout);
    std::cout << report.levels.size()
              << " referrals checked: " << report.count(rr::check_level::pass) << " pass, "
              << report.count(rr::check_level::review) << " review, "
              << report.count(rr::check_level::reject) << " reject\n";
    return 0;
}

int run_convert(const referral_options& o) {
    const auto to = rr::parse_referral_status(o.to);
    if (!to || *to == rr::referral_status::new_ || *to == rr::referral_status::rejected)
        throw parse_error("", 0, "--to", "one of qualified, converted, lost", o.to);
    const date day = day_or_today(o.day, "--date");
    referral_store store(o.program);
    store.write(
        [&](rr::referral_database& db) {
            db.advance_referral(o.id, *to, day, o.opportunity, o.value, o.checks);
        },
        [&](rr::referral_program& p) {
            auto moved = p;
            rr::advance_referral(moved, o.id, *to, day, o.opportunity, o.value);
            const auto checks =
                rr::check_referrals(moved.referrals, moved.accounts, moved.overrides, o.checks);
            rr::advance_referral(p, o.id, *to, day, o.opportunity, o.value, &checks);
        });
    const auto p = store.load();
    std::cout << o.program << ": referral " << o.id << " " << o.to << " on " << format_date(day)
              << '\n';
    for (const auto& w : p.rewards)
        if (w.referral_id == o.id)
            std::cout << "  reward " << w.id << ": " << rr::to_string(w.offer.kind) << " "
                      << fixed(w.offer.amount) << " to " << w.recipient << ", "
                      << rr::to_string(w.state) << '\n';
    return 0;
}

int run_rewards(const referral_options& o) {
    referral_store store(o.program);
    if (!o.approve.empty() || !o.issue.empty()) {
        const auto& id = o.approve.empty() ? o.issue : o.approve;
        const auto to = o.approve.empty() ? rr::reward_state::issued : rr::reward_state::approved;
        store.write([&](rr::referral_database& db) { db.move_reward(id, to); },
                    [&](rr::referral_program& p) { rr::move_reward(p, id, to); });
        std::cout << o.program << ": reward " << id << " " << rr::to_string(to) << '\n';
    } else if (!o.override_referral.empty()) {
        const auto level = rr::parse_check_level(o.level);
        if (!level) throw parse_error("", 0, "--level", "one of pass, review, reject", o.level);
        rr::check_override decision{o.override_referral, *level,
                                    o.by.empty() ? command_line_user().who : o.by, o.reason,
                                    day_or_today(o.day, "--date")};
        store.write([&](rr::referral_database& db) { db.override_checks(decision); },
                    [&](rr::referral_program& p) { rr::override_checks(p, decision); });
        std::cout << o.program << ": referral " << decision.referral_id << " set to " << o.level
                  << " by " << decision.by << " (" << decision.reason << ")\n";
    }
    const auto p = store.load();
    text_table t({"reward", "recipient", "kind", "amount", "state", "earned"});
    for (const auto& w : p.rewards)
        t.add({w.id, w.recipient, std::string(rr::to_string(w.offer.kind)), fixed(w.offer.amount),
               std::string(rr::to_string(w.state)), format_date(w.earned_on)});
    t.print(std::cout);
    std::size_t held = 0;
    for (const auto& w : p.rewards) held += w.state == rr::reward_state::held;
    std::cout << t.size() << " rewards, " << held << " held for review\n";
    return 0;
}

int run_report(const referral_options& o) {
    const auto p = referral_store(o.program).load();
    const auto by = o.group_by == "channel"    ? rr::funnel_by::channel
                    : o.group_by == "campaign" ? rr::funnel_by::campaign
                    : o.group_by == "variant"  ? rr::funnel_by::variant
                    : o.group_by == "referrer" ? rr::funnel_by::referrer
                                               : throw parse_error("", 0, "--by",
                                                                   "one of channel, campaign, "
                                                                   "variant, referrer",
                                                                   o.group_by);
    std::cout << "Funnel by " << o.group_by << "\n";
    text_table f({o.group_by, "referred", "qualified", "converted", "lost", "rejected",
                  "conversion", "median days", "deal value", "reward cost"});
    for (const auto& r : rr::funnel(p, by))
        f.add({r.group, std::to_string(r.referred), std::to_string(r.qualified),
               std::to_string(r.converted), std::to_string(r.lost), std::to_string(r.rejected),
               percent(r.conversion),
               r.median_days_to_convert ? fixed(*r.median_days_to_convert, 1) : "-",
               fixed(r.deal_value, 0), fixed(r.reward_cost, 0)});
    f.print(std::cout);
    const auto e = rr::economics(p);
    std::cout << "\nProgram economics\n"
              << "conversions           " << e.conversions << '\n'
              << "reward cost           " << fixed(e.reward_cost) << " (issued "
              << fixed(e.issued_cost) << ")\n"
              << "deal value            " << fixed(e.deal_value) << '\n'
              << "cost per acquisition  "
              << (e.cost_per_acquisition ? fixed(*e.cost_per_acquisition) : "-") << '\n'
              << "return on program     "
              << (e.return_on_program ? fixed(*e.return_on_program) : "-") << '\n';
    try {
        const auto v = rr::referred_value(p, o.resamples, o.seed);
        std::cout << "\nFirst-year value, referred vs other customers (bootstrap, " << v.resamples
                  << " resamples, seed " << o.seed << ")\n"
                  << "referred  n=" << v.n_a << "  mean " << fixed(v.mean_a) << '\n'
                  << "other     n=" << v.n_b << "  mean " << fixed(v.mean_b) << '\n'
                  << "difference " << fixed(v.difference) << ", " << fixed(100 * v.confidence, 0)
                  << "% interval [" << fixed(v.low) << ", " << fixed(v.high) << "]\n";
    } catch (const validation_error&) {
        std::cout << "\nFirst-year value: needs customers with a first_year_value on both sides\n";
    }
    if (o.other_leads > 0) {
        // Referred leads (rejected ones are not leads) against the other leads of the period.
        std::uint64_t leads = 0, converted = 0;
        for (const auto& r : p.referrals) {
            if (r.status == rr::referral_status::rejected) continue;
            ++leads;
            converted += r.status == rr::referral_status::converted;
        }
        if (leads == 0) throw validation_error("report: the program has no referred leads");
        const auto t = rr::compare_proportions(converted, leads, o.other_converted, o.other_leads);
        std::cout << "\nConversion, referred vs other leads\n"
                  << "referred  " << t.x_a << "/" << t.n_a << " = " << percent(t.p_a) << '\n'
                  << "other     " << t.x_b << "/" << t.n_b << " = " << percent(t.p_b) << '\n'
                  << "difference " << fixed(100 * t.difference, 1) << " points, 95% interval ["
                  << fixed(100 * t.low, 1) << ", " << fixed(100 * t.high, 1)
                  << "], z-test p = " << p_value(t.p_value_z)
                  << ", Fisher's exact p = " << p_value(t.p_value_fisher) << '\n';
    }
    if (o.ab.size() == 2) {
        const auto ab = rr::ab_test(p, o.ab[0], o.ab[1], o.planned);
        const auto& t = ab.test;
        std::cout << "\nA/B test of reward variants " << ab.variant_a << " vs " << ab.variant_b
                  << '\n'
                  << ab.variant_a << "  " << t.x_a << "/" << t.n_a << " = " << percent(t.p_a)
                  << '\n'
                  << ab.variant_b << "  " << t.x_b << "/" << t.n_b << " = " << percent(t.p_b)
                  << '\n'
                  << "difference " << fixed(100 * t.difference, 1) << " points, "
                  << fixed(100 * t.confidence, 0) << "% interval [" << fixed(100 * t.low, 1) << ", "
                  << fixed(100 * t.high, 1) << "]\n"
                  << "z = " << fixed(t.z, 3) << ", p = " << p_value(t.p_value_z)
                  << " (two-proportion z-test); Fisher's exact p = " << p_value(t.p_value_fisher)
                  << (t.small_counts ? " (small counts: read Fisher's)" : "") << '\n';
        if (ab.needed_per_variant)
            std::cout << "needed for this effect at alpha 0.05, power 0.8: "
                      << ab.needed_per_variant << " per variant\n";
        if (ab.stopped_early)
            std::cout << "STOPPED EARLY: " << std::min(t.n_a, t.n_b) << " of the planned "
                      << ab.planned_per_variant
                      << " per variant; the p-values assume a fixed sample and claim nothing "
                         "yet\n";
    }
    return 0;
}

int run_import(const referral_options& o) {
    const auto p = rr::load_referral_program(o.directory);
    rr::referral_database(o.program).import_program(p);
    std::cout << o.program << ": imported " << o.directory << ": " << p.accounts.size()
              << " accounts, " << p.referrals.size() << " referrals, " << p.rewards.size()
              << " rewards\n";
    return 0;
}

int run_generate(const referral_options& o) {
    rr::referral_generator_options g;
    g.referrals = o.referrals;
    g.customers = std::max<std::size_t>(50, o.referrals / 5);
    g.opportunities = g.customers / 4;
    g.rings = std::max<std::size_t>(1, o.referrals / 1000);
    g.duplicates = o.referrals / 100;
    g.self_referrals = o.referrals / 400;
    g.bursts = std::max<std::size_t>(1, o.referrals / 2000);
    g.disposable = o.referrals / 400;
    g.seed = o.seed;
    const auto generated = rr::generate_referrals(g);
    rr::save_referral_program(generated.program, o.directory);
    std::cout << o.directory << ": " << generated.program.accounts.size() << " accounts, "
              << generated.program.referrals.size() << " referrals, "
              << generated.program.rewards.size() << " rewards (planted: " << generated.rings.size()
              << " ring referrals, " << generated.duplicates.size() << " duplicates, "
              << generated.self_referrals.size() << " self-referrals, " << generated.bursts.size()
              << " past a day's limit, " << generated.disposable.size()
              << " disposable contacts)\n";
    return 0;
}

}  // namespace

void add_referral(CLI::App& app, std::vector<command>& commands) {
    auto o = std::make_shared<referral_options>();
    auto* referral = app.add_subcommand(
        "referral", "The referral program: referrals, integrity checks, rewards, statistics");
    referral->require_subcommand(1);
    const auto program = [&](CLI::App* c) {
        c->add_option("--program", o->program,
                      "Referral program directory or program database file")
            ->required();
    };
    const auto check_flags = [&](CLI::App* c) {
        c->add_option("--window", o->checks.window_days, "Duplicate window in days (90)");
        c->add_option("--max-per-day", o->checks.max_per_day, "Velocity: referrals a day (5)");
        c->add_option("--max-per-week", o->checks.max_per_week, "Velocity: referrals a week (15)");
        c->add_option("--threshold", o->checks.name_threshold, "Name similarity threshold (0.92)");
    };

    auto* add = referral->add_subcommand("add", "Add a referral");
    program(add);
    add->add_option("--id", o->id, "Referral id")->required();
    add->add_option("--referrer", o->referrer, "The referring customer's account id")->required();
    add->add_option("--name", o->name, "The referred organisation's name")->required();
    add->add_option("--domain", o->domain, "Its web domain");
    add->add_option("--email", o->email, "The contact's e-mail");
    add->add_option("--country", o->country, "Its country");
    add->add_option("--channel", o->channel, "Source channel");
    add->add_option("--campaign", o->campaign, "Campaign");
    add->add_option("--variant", o->variant, "Reward variant offered");
    add->add_option("--date", o->day, "Day of the referral (default: today)");
    commands.push_back({add, [o] { return run_add(*o); }});

    auto* list = referral->add_subcommand("list", "List referrals with their check level");
    program(list);
    list->add_option("--status", o->status, "Only this status");
    list->add_option("--referrer", o->referrer, "Only this referrer");
    commands.push_back({list, [o] { return run_list(*o); }});

    auto* check = referral->add_subcommand(
        "check", "Run the integrity checks, hold or void rewards accordingly");
    program(check);
    check_flags(check);
    commands.push_back({check, [o] { return run_check(*o); }});

    auto* convert = referral->add_subcommand("convert", "Move a referral forward; earn rewards");
    program(convert);
    convert->add_option("id", o->id, "Referral id")->required();
    convert->add_option("--to", o->to, "converted (default), qualified or lost");
    convert->add_option("--date", o->day, "Day of the event (default: today)");
    convert->add_option("--opportunity", o->opportunity, "The opportunity it became");
    convert->add_option("--value", o->value, "The deal's value");
    check_flags(convert);
    commands.push_back({convert, [o] { return run_convert(*o); }});

    auto* rewards = referral->add_subcommand("rewards", "List rewards; approve, issue, decide");
    program(rewards);
    rewards->add_option("--approve", o->approve, "Approve a pending reward");
    rewards->add_option("--issue", o->issue, "Issue an approved reward");
    rewards->add_option("--override", o->override_referral,
                        "Decide a referral's checks (with --level and --reason)");
    rewards->add_option("--level", o->level, "pass, review or reject");
    rewards->add_option("--reason", o->reason, "Why");
    rewards->add_option("--by", o->by, "Who decided (default: $USER)");
    rewards->add_option("--date", o->day, "Day of the decision (default: today)");
    commands.push_back({rewards, [o] { return run_rewards(*o); }});

    auto* report = referral->add_subcommand("report", "Funnel, economics, value, A/B tests");
    program(report);
    report->add_option("--by", o->group_by, "channel (default), campaign, variant or referrer");
    report->add_option("--ab", o->ab, "Two reward variants to compare")->expected(2);
    report->add_option("--planned", o->planned, "The A/B test's planned size per variant");
    report->add_option("--seed", o->seed, "Bootstrap seed (1)");
    report->add_option("--resamples", o->resamples, "Bootstrap resamples (2000)");
    report->add_option("--other-leads", o->other_leads,
                       "Leads of the period from other sources, to compare conversion with");
    report->add_option("--other-converted", o->other_converted, "How many of them converted");
    commands.push_back({report, [o] { return run_report(*o); }});

    auto* import = referral->add_subcommand(
        "import", "Import a referral program directory into a program database");
    program(import);
    import->add_option("directory", o->directory, "Referral program directory")->required();
    commands.push_back({import, [o] { return run_import(*o); }});

    auto* generate = referral->add_subcommand(
        "generate", "Write a synthetic referral program with planted fraud cases");
    generate->add_option("--out", o->directory, "Directory to write")->required();
    generate->add_option("--referrals", o->referrals, "Referrals (2000)");
    generate->add_option("--seed", o->seed, "Seed (1)");
    commands.push_back({generate, [o] { return run_generate(*o); }});
}

}  // namespace refmatch::cli
