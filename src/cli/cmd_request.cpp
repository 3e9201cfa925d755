// Reference requests from the command line (a program database file):
//   refmatch request new|list|show|propose|pick|approve|decline|ask|contact|accept|schedule|
//                    fulfil|cancel|feedback|expire|holds|service --program FILE ...
//   refmatch queue --program FILE [--due 72h] [--approval 72h] [--expiring 72h]
// Every command takes --now (default: the current time) and --by (default: $USER).

#include "commands.hpp"
#include "match_common.hpp"
#include "program_source.hpp"

#include <refmatch/engine.hpp>
#include <refmatch/requests/request_book.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace refmatch::cli {
namespace {

using std::chrono::sys_seconds;

struct request_flags {
    std::string program;
    std::string now;
    std::string by;
    std::string comment;
    std::int64_t id = 0;
    // new
    std::string opportunity;
    std::string activity;
    std::uint32_t wanted = 1;
    std::string needed_by;
    std::string notes;
    // pick
    std::vector<std::string> references;
    bool top = false;
    // approve, decline: one attached reference, or "all"
    std::string reference;
    // ask, contact
    std::string channel = "email";
    std::string outcome = "no_answer";
    // schedule, fulfil
    std::string day;
    // feedback
    int rating = 0;
    std::string result;
    std::string again = "yes";
    // list
    std::string status;
    // queue
    std::string due = "72h";
    std::string approval = "72h";
    std::string expiring = "72h";
};

// "2026-03-02" (midnight UTC) or "2026-03-02T14:30:00Z" / "2026-03-02T14:30".
sys_seconds parse_now(const std::string& text) {
    if (text.empty()) return command_line_user().at;
    const auto day = parse_date(text.substr(0, 10));
    int h = 0, m = 0, s = 0;
    if (day && text.size() == 10) return sys_seconds{*day};
    if (day && text.size() >= 16 && text[10] == 'T' &&
        std::sscanf(text.c_str() + 11, "%d:%d:%d", &h, &m, &s) >= 2 && h < 24 && m < 60 && s < 60)
        return sys_seconds{*day} + std::chrono::hours(h) + std::chrono::minutes(m) +
               std::chrono::seconds(s);
    throw validation_error("command line", "now", "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z", text);
}

date parse_day(const std::string& text, const char* field) {
    if (const auto d = parse_date(text)) return *d;
    throw validation_error("command line", field, "a date YYYY-MM-DD", text);
}

// "72h", "3d" or a number of hours.
std::chrono::hours parse_hours(const std::string& text, const char* field) {
    char* stop = nullptr;
    const long n = std::strtol(text.c_str(), &stop, 10);
    if (stop != text.c_str() && n >= 0) {
        const std::string unit(stop);
        if (unit.empty() || unit == "h") return std::chrono::hours(n);
        if (unit == "d") return std::chrono::hours(24 * n);
    }
    throw validation_error("command line", field, "hours or days such as 72h or 3d", text);
}

request_actor actor(const request_flags& f) {
    request_actor a;
    a.who = f.by.empty() ? command_line_user().who : f.by;
    a.now = parse_now(f.now);
    a.comment = f.comment;
    return a;
}

// Colour only on a terminal (and not with NO_COLOR set).
bool colour() {
    static const bool on = ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
    return on;
}

std::string paint(const std::string& text, request_status s) {
    if (!colour()) return text;
    const char* code = "0";
    switch (s) {
        case request_status::fulfilled:
            code = "32";
            break;
        case request_status::owner_declined:
        case request_status::customer_declined:
        case request_status::expired:
        case request_status::cancelled:
            code = "31";
            break;
        case request_status::approval_asked:
        case request_status::customer_asked:
            code = "33";
            break;
        default:
            code = "36";
    }
    return std::string("\033[") + code + "m" + text + "\033[0m";
}

// Prints rows under headers, columns as wide as their widest cell (colour codes not counted).
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
    const auto width_of = [](const std::string& s) {
        std::size_t n = 0;
        bool escape = false;
        for (const unsigned char c : s) {
            if (c == 0x1b) escape = true;
            if (!escape && (c & 0xC0u) != 0x80u) ++n;
            if (escape && c == 'm') escape = false;
        }
        return n;
    };
    std::vector<std::size_t> widths;
    for (const auto& h : headers) widths.push_back(width_of(h));
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], width_of(r[i]));
    const auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            out += cells[i];
            if (i + 1 < cells.size()) out.append(widths[i] - width_of(cells[i]) + 2, ' ');
        }
        std::cout << out << '\n';
    };
    line(headers);
    for (const auto& r : rows) line(r);
}

std::string time_text(sys_seconds t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::hh_mm_ss hms{t - day};
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, " %02d:%02d", static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()));
    return format_date(date{day}) + buffer;
}

std::string held_text(const request& r) {
    std::string out;
    for (const auto& a : r.references) {
        if (!out.empty()) out += ' ';
        out += a.reference_id + "(" + std::string(to_string(a.state)) + ")";
    }
    return out.empty() ? "-" : out;
}

struct session {
    std::unique_ptr<database> db;
    std::unique_ptr<request_book> book;
    explicit session(const std::string& path, bool read_only = false) {
        database_options o;
        o.read_only = read_only;
        db = std::make_unique<database>(path, o);
        book = std::make_unique<request_book>(*db);
    }
    [[nodiscard]] const std::string& activity_name(activity_id a) const {
        return db->program()->vocab->activities.name(a);
    }
};

// The owner's decision on an attached reference, as `show` lists it.
std::string owner_text(const attached_reference& a) {
    if (a.approved) return "approved";
    if (a.state == attachment_state::owner_declined) return "declined";
    if (a.state == attachment_state::attached || a.state == attachment_state::held)
        return "waiting";
    return "-";
}

// The references an approve or decline without --reference would decide on: those waiting for
// their owner (approval_asked) or held (customer_asked). More than one must be named, or "all".
void check_whole_request(const request& r, const std::string& verb) {
    std::vector<std::string> deciding;
    for (const auto& a : r.references) {
        const bool owner_waits =
            r.status == request_status::approval_asked && !a.approved &&
            (a.state == attachment_state::attached || a.state == attachment_state::held);
        const bool customer_asked =
            r.status == request_status::customer_asked && a.state == attachment_state::held;
        if (owner_waits || customer_asked) deciding.push_back(a.reference_id);
    }
    if (deciding.size() <= 1) return;
    std::string names;
    for (const auto& d : deciding) names += (names.empty() ? "" : ", ") + d;
    throw validation_error("request " + std::to_string(r.id) + ": " + verb + ": " +
                           std::to_string(deciding.size()) + " references wait for a decision (" +
                           names + "): give --reference REF, or --reference all; nothing changed");
}

void show(const session& s, std::int64_t id) {
    const auto r = s.book->get(id);
    std::cout << "request " << r.id << ": " << paint(std::string(to_string(r.status)), r.status)
              << '\n'
              << "  opportunity " << r.opportunity_id << ", " << s.activity_name(r.activity) << ", "
              << r.wanted << (r.wanted == 1 ? " reference" : " references") << ", needed by "
              << format_date(r.needed_by) << ", expires " << format_date(r.expires_on)
              << (r.planned_on ? ", planned " + format_date(*r.planned_on) : std::string()) << '\n'
              << "  asked by " << r.requester << " at " << time_text(r.created_at)
              << (r.notes.empty() ? std::string() : ": " + r.notes) << '\n';
    if (!r.references.empty()) {
        std::cout << "references\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& a : r.references)
            rows.push_back({"  " + a.reference_id, std::string(to_string(a.state)), owner_text(a),
                            a.hold_day ? format_date(*a.hold_day) : "-",
                            a.event_id ? std::to_string(*a.event_id) : "-"});
        print_table({"  reference", "state", "owner", "day", "ledger event"}, rows);
    }
    if (!r.candidates.empty()) {
        std::cout << "candidates\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& c : r.candidates)
            rows.push_back({"  " + c.reference_id, fixed(c.final_score), c.reason});
        print_table({"  reference", "score", "why"}, rows);
    }
    if (!r.outreach.empty()) {
        std::cout << "outreach\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& o : r.outreach)
            rows.push_back({"  " + format_date(o.day), std::string(to_string(o.channel)),
                            std::string(to_string(o.outcome)), o.who});
        print_table({"  day", "channel", "outcome", "by"}, rows);
    }
    if (r.feedback)
        std::cout << "feedback: " << r.feedback->rating << "/5"
                  << (r.feedback->outcome.empty() ? "" : ", " + r.feedback->outcome)
                  << (r.feedback->would_do_again ? ", would do it again" : ", would not again")
                  << (r.feedback->comment.empty() ? "" : ": " + r.feedback->comment) << '\n';
    std::cout << "trail\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : r.trail)
        rows.push_back({"  " + time_text(t.at), t.from ? std::string(to_string(*t.from)) : "-",
                        std::string(to_string(t.to)), t.reference_id.empty() ? "-" : t.reference_id,
                        t.who, t.comment});
    print_table({"  at", "from", "to", "reference", "by", "comment"}, rows);
}

int run(const std::string& verb, const request_flags& f) {
    const bool reads = verb == "list" || verb == "show" || verb == "holds" || verb == "service";
    session s(f.program, reads);
    const auto by = actor(f);
    if (verb == "new") {
        new_request r;
        r.requester = by.who;
        r.opportunity_id = f.opportunity;
        r.activity = s.db->program()->vocab->activities.at(f.activity);
        r.wanted = f.wanted;
        r.needed_by = parse_day(f.needed_by, "needed-by");
        r.notes = f.notes;
        const auto id = s.book->create(r, by);
        std::cout << "request " << id << ": requested\n";
        return 0;
    }
    if (verb == "list") {
        std::vector<std::vector<std::string>> rows;
        for (const auto& r : s.book->list()) {
            if (!f.status.empty() && to_string(r.status) != f.status) continue;
            rows.push_back({std::to_string(r.id), paint(std::string(to_string(r.status)), r.status),
                            r.opportunity_id, s.activity_name(r.activity), format_date(r.needed_by),
                            r.requester, held_text(r)});
        }
        print_table(
            {"id", "status", "opportunity", "activity", "needed by", "requester", "references"},
            rows);
        std::cout << rows.size() << (rows.size() == 1 ? " request\n" : " requests\n");
        return 0;
    }
    if (verb == "show") {
        show(s, f.id);
        return 0;
    }
    if (verb == "holds") {
        std::vector<std::vector<std::string>> rows;
        for (const auto& h : s.book->live_holds(by.now))
            rows.push_back({h.reference_id, s.activity_name(h.activity), format_date(h.day)});
        print_table({"reference", "activity", "day"}, rows);
        std::cout << rows.size() << (rows.size() == 1 ? " live hold\n" : " live holds\n");
        return 0;
    }
    if (verb == "propose") {
        engine e(s.db->program());
        const auto candidates = s.book->propose(f.id, e, by);
        std::vector<std::vector<std::string>> rows;
        for (const auto& c : candidates)
            rows.push_back({c.reference_id, fixed(c.final_score), c.reason});
        print_table({"reference", "score", "why"}, rows);
        std::cout << "request " << f.id << ": proposed, " << candidates.size()
                  << (candidates.size() == 1 ? " eligible candidate\n" : " eligible candidates\n");
        return 0;
    }
    if (verb == "expire") {
        const auto ids = s.book->expire(by);
        for (const auto id : ids) std::cout << "request " << id << ": expired\n";
        std::cout << ids.size() << (ids.size() == 1 ? " request expired\n" : " requests expired\n");
        return 0;
    }
    if (verb == "service") {
        const auto fig = s.book->service(by.now);
        std::cout << "time to fulfil\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& t : fig.time_to_fulfil)
            rows.push_back({"  " + s.activity_name(t.activity), std::to_string(t.fulfilled),
                            fixed(t.median_hours, 1), fixed(t.p90_hours, 1)});
        print_table({"  activity", "fulfilled", "median h", "p90 h"}, rows);
        std::cout << "fulfilled by the needed-by date\n";
        rows.clear();
        for (const auto& t : fig.on_time)
            rows.push_back({"  " + s.activity_name(t.activity), std::to_string(t.settled),
                            std::to_string(t.on_time), fixed(100.0 * t.share(), 0) + "%"});
        print_table({"  activity", "settled", "on time", "share"}, rows);
        for (const auto& [title, rates] :
             {std::make_pair("declines by reference", &fig.by_reference),
              std::make_pair("declines by activity", &fig.by_activity)}) {
            std::cout << title << '\n';
            rows.clear();
            for (const auto& d : *rates)
                rows.push_back(
                    {"  " + d.key,
                     std::to_string(d.owner_declined) + "/" + std::to_string(d.owner_asked),
                     std::to_string(d.customer_declined) + "/" + std::to_string(d.customer_asked),
                     fixed(100.0 * d.customer_rate(), 0) + "%"});
            print_table({"  key", "owner declined", "customer declined", "customer rate"}, rows);
        }
        for (const auto& [title, rates] : {std::make_pair("outreach by channel", &fig.by_channel),
                                           std::make_pair("outreach by owner", &fig.by_owner)}) {
            std::cout << title << '\n';
            rows.clear();
            for (const auto& o : *rates)
                rows.push_back({"  " + o.key, std::to_string(o.attempts),
                                fixed(100.0 * o.response_rate(), 0) + "%",
                                fixed(100.0 * o.participation_rate(), 0) + "%"});
            print_table({"  key", "attempts", "response", "participation"}, rows);
        }
        return 0;
    }
    if (verb == "pick") {
        auto refs = f.references;
        if (f.top) {
            // The best candidates of the last proposal, as many as the request wants.
            const auto r = s.book->get(f.id);
            for (const auto& c : r.candidates)
                if (refs.size() < r.wanted) refs.push_back(c.reference_id);
            if (refs.empty())
                throw validation_error("request " + std::to_string(f.id) +
                                       ": --top: no candidates proposed (run request propose)");
        }
        s.book->pick(f.id, refs, by);
    } else if (verb == "approve" || verb == "decline") {
        if (f.reference.empty()) check_whole_request(s.book->get(f.id), verb);
        const bool whole = f.reference.empty() || f.reference == "all";
        if (verb == "approve" && whole)
            s.book->approve(f.id, by);
        else if (verb == "approve")
            s.book->approve(f.id, f.reference, by);
        else if (whole)
            s.book->decline(f.id, by);
        else
            s.book->decline(f.id, f.reference, by);
    } else if (verb == "ask" || verb == "contact") {
        const auto channel = parse_outreach_channel(f.channel);
        if (!channel)
            throw validation_error("command line", "channel",
                                   "email, phone, video, in_person or social", f.channel);
        if (verb == "ask") {
            s.book->ask(f.id, *channel, by);
        } else {
            const auto outcome = parse_outreach_outcome(f.outcome);
            if (!outcome)
                throw validation_error("command line", "outcome", "no_answer, accepted or declined",
                                       f.outcome);
            s.book->contact(f.id, *channel, *outcome, by);
        }
    } else if (verb == "accept") {
        s.book->accept(f.id, by);
    } else if (verb == "schedule") {
        s.book->schedule(f.id, parse_day(f.day, "day"), by);
    } else if (verb == "fulfil") {
        s.book->fulfil(f.id, by,
                       f.day.empty() ? std::nullopt : std::optional<date>(parse_day(f.day, "day")));
    } else if (verb == "cancel") {
        s.book->cancel(f.id, by);
    } else if (verb == "feedback") {
        if (f.again != "yes" && f.again != "no")
            throw validation_error("command line", "again", "yes or no", f.again);
        s.book->feedback(f.id, {f.rating, f.result, f.again == "yes", f.comment}, by);
    }
    const auto r = s.book->get(f.id);
    std::cout << "request " << r.id << ": " << paint(std::string(to_string(r.status)), r.status);
    if ((verb == "approve" || verb == "decline") && !f.reference.empty() && f.reference != "all")
        std::cout << ", " << f.reference << (verb == "approve" ? " approved" : " declined");
    if (r.status == request_status::approval_asked) {
        std::string waiting;
        for (const auto& a : r.references)
            if (owner_text(a) == "waiting")
                waiting += (waiting.empty() ? "" : ", ") + a.reference_id;
        if (!waiting.empty()) std::cout << ", waiting for the owners of " << waiting;
    }
    if (verb == "fulfil")
        for (const auto& a : r.references)
            if (a.event_id)
                std::cout << ", " << a.reference_id << " used (ledger event " << *a.event_id << ")";
    if (verb == "contact" || verb == "ask")
        std::cout << ", " << r.outreach.size()
                  << (r.outreach.size() == 1 ? " attempt" : " attempts");
    std::cout << '\n';
    return 0;
}

int run_queue(const request_flags& f) {
    session s(f.program, true);
    const auto by = actor(f);
    queue_options o;
    o.due_within = parse_hours(f.due, "due");
    o.approval_waiting = parse_hours(f.approval, "approval");
    o.expiring_within = parse_hours(f.expiring, "expiring");
    engine e(s.db->program());
    const auto q = s.book->queues(by.now, e, o);
    const auto section = [&](const std::string& title, const std::vector<queue_entry>& entries,
                             const char* hours) {
        std::cout << title << " (" << entries.size() << ")\n";
        if (entries.empty()) return;
        std::vector<std::vector<std::string>> rows;
        for (const auto& x : entries) {
            const auto status = parse_request_status(x.status).value_or(request_status::requested);
            rows.push_back({"  " + std::to_string(x.request_id), paint(x.status, status),
                            x.opportunity_id, s.activity_name(x.activity), format_date(x.needed_by),
                            fixed(x.hours, 1), x.references.empty() ? "-" : x.references});
        }
        print_table({"  id", "status", "opportunity", "activity", "needed by", hours, "references"},
                    rows);
    };
    section("due within " + f.due, q.due_soon, "hours left");
    section("overdue", q.overdue, "hours left");
    section("waiting for approval longer than " + f.approval, q.awaiting_approval, "hours waited");
    section("no eligible candidate left", q.no_candidate, "hours left");
    section("holds expiring within " + f.expiring, q.holds_expiring, "hours left");
    return 0;
}

void common(CLI::App* sub, request_flags& f, bool with_id) {
    sub->add_option("--program,-p", f.program, "Program database file")->required();
    sub->add_option("--now", f.now,
                    "The moment of the operation, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (UTC; "
                    "default: now)");
    sub->add_option("--by", f.by, "Who makes it (default: $USER)");
    sub->add_option("--comment", f.comment, "A comment for the audit trail");
    if (with_id) sub->add_option("id", f.id, "Request id")->required();
}

}  // namespace

void add_request(CLI::App& app, std::vector<command>& commands) {
    auto* request = app.add_subcommand(
        "request", "Reference requests: from a rep's ask to the customer's feedback, with holds.");
    request->require_subcommand(1);
    const auto add = [&](const char* verb, const char* help, bool with_id) {
        auto f = std::make_shared<request_flags>();
        auto* sub = request->add_subcommand(verb, help);
        common(sub, *f, with_id);
        commands.push_back({sub, [f, v = std::string(verb)] { return run(v, *f); }});
        return std::make_pair(sub, f);
    };
    {
        auto [sub, f] = add("new", "Ask for references for an opportunity.", false);
        sub->add_option("--opportunity,-o", f->opportunity, "Opportunity (prospect) id")
            ->required();
        sub->add_option("--activity,-a", f->activity, "Activity type")->required();
        sub->add_option("--wanted,-n", f->wanted, "References wanted")->capture_default_str();
        sub->add_option("--needed-by", f->needed_by, "Needed by, YYYY-MM-DD")->required();
        sub->add_option("--notes", f->notes, "Notes");
    }
    {
        auto [sub, f] = add("list", "All requests.", false);
        sub->add_option("--status", f->status, "Only requests in this status");
    }
    add("show", "One request: references, candidates, outreach, feedback and its trail.", true);
    add("propose", "Propose the engine's eligible candidates (holds and declines counted).", true);
    {
        auto [sub, f] =
            add("pick", "Attach references and ask their owners (self-serve: fulfil).", true);
        sub->add_option("references", f->references, "Reference ids");
        sub->add_flag("--top", f->top, "The best candidates of the last proposal");
    }
    for (const auto* verb : {"approve", "decline"}) {
        const std::string v = verb;
        auto [sub, f] = add(verb,
                            v == "approve" ? "A reference's owner approves it: it is held."
                                           : "A reference's owner (when asked) or its customer "
                                             "(when contacted) declines.",
                            true);
        sub->add_option("--reference,-r", f->reference,
                        "The attached reference decided on, or 'all' (needed when several wait)");
    }
    {
        auto [sub, f] = add("ask", "Ask the customer: the first contact.", true);
        sub->add_option("--channel", f->channel, "email, phone, video, in_person or social")
            ->capture_default_str();
    }
    {
        auto [sub, f] = add("contact", "A follow-up contact with the customer.", true);
        sub->add_option("--channel", f->channel, "email, phone, video, in_person or social")
            ->capture_default_str();
        sub->add_option("--outcome", f->outcome, "no_answer, accepted or declined")
            ->capture_default_str();
    }
    add("accept", "The customer agrees.", true);
    {
        auto [sub, f] = add("schedule", "Set the day of the activity (the holds' day).", true);
        sub->add_option("--day", f->day, "YYYY-MM-DD")->required();
    }
    {
        auto [sub, f] = add("fulfil", "It happened: record the uses in the ledger.", true);
        sub->add_option("--day", f->day, "Day of the use (default: the planned day)");
    }
    add("cancel", "Call it off: the holds are released.", true);
    {
        auto [sub, f] = add("feedback", "Feedback on a fulfilled request.", true);
        sub->add_option("--rating", f->rating, "1 to 5")->required();
        sub->add_option("--outcome", f->result, "What came of it");
        sub->add_option("--again", f->again, "Would the customer do it again: yes or no")
            ->capture_default_str();
    }
    add("expire", "Expire the open requests past their expiry day.", false);
    add("holds", "The live holds.", false);
    add("service", "Service figures: time to fulfil, on time, declines, outreach.", false);
}

void add_queue(CLI::App& app, std::vector<command>& commands) {
    auto f = std::make_shared<request_flags>();
    auto* sub = app.add_subcommand("queue", "The morning queues of reference requests.");
    sub->add_option("--program,-p", f->program, "Program database file")->required();
    sub->add_option("--now", f->now, "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (default: now)");
    sub->add_option("--due", f->due, "Due within, e.g. 72h or 3d")->capture_default_str();
    sub->add_option("--approval", f->approval, "Waiting for approval longer than")
        ->capture_default_str();
    sub->add_option("--expiring", f->expiring, "Holds expiring within")->capture_default_str();
    commands.push_back({sub, [f] { return run_queue(*f); }});
}

}  // namespace refmatch::cli
