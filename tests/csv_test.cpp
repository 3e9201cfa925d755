// The CSV reader: reading a text in chunks (on several threads) gives what reading it whole
// gives, rows, lines and errors alike; large tables read in parts keep their lines and messages.

#include "io/csv.hpp"
#include "io/tables.hpp"

#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {

using refmatch::parse_error;
using refmatch::detail::csv_row;

struct read_result {
    std::vector<std::pair<std::size_t, std::vector<std::string>>> rows;
    std::string error;
};

void keep(read_result& out, const csv_row& row) {
    out.rows.emplace_back(row.line, std::vector<std::string>(row.fields.begin(), row.fields.end()));
}

read_result read_whole(std::string_view text) {
    read_result out;
    try {
        refmatch::detail::read_csv(
            text, "t.csv", [&](csv_row& r) { keep(out, r); }, [&](csv_row& r) { keep(out, r); });
    } catch (const parse_error& e) {
        out.error = e.what();
    }
    return out;
}

read_result read_in_chunks(std::string_view text, std::size_t parts) {
    read_result out;
    try {
        const auto chunks = refmatch::detail::split_csv(
            text, "t.csv", [&](csv_row& r) { keep(out, r); }, parts);
        EXPECT_LE(chunks.size(), parts);
        for (const auto& c : chunks)
            EXPECT_TRUE(refmatch::detail::read_csv_chunk(text, c, "t.csv",
                                                         [&](csv_row& r) { keep(out, r); }));
    } catch (const parse_error& e) {
        out.error = e.what();
    }
    return out;
}

// Rows of random fields: plain, quoted with commas, doubled quotes and line breaks (LF and
// CRLF) inside, empty; rows end in LF or CRLF, with blank lines between some.
std::string random_csv(std::mt19937& rng, int rows) {
    std::string text = rng() % 2 ? "\xEF\xBB\xBF" : "";
    text += "a,b,c\n";
    const char* pieces[] = {"x", "yy", "a b", ",", "\"\"", "\n", "\r\n", "é"};
    for (int i = 0; i < rows; ++i) {
        for (int f = 0; f < 3; ++f) {
            if (f) text += ',';
            switch (rng() % 4) {
                case 0:
                    break;  // empty
                case 1:
                    text += "plain" + std::to_string(rng() % 100);
                    break;
                default: {
                    text += '"';
                    for (int k = 0, n = static_cast<int>(rng() % 5); k < n; ++k)
                        text += pieces[rng() % 8];
                    text += '"';
                }
            }
        }
        text += rng() % 2 ? "\n" : "\r\n";
        if (rng() % 10 == 0) text += "\n";
    }
    return text;
}

}  // namespace

TEST(CsvChunks, ReadLikeTheWholeTextWithQuotedLineBreaksAcrossCuts) {
    std::mt19937 rng(7);
    for (int round = 0; round < 40; ++round) {
        const auto text = random_csv(rng, 1 + static_cast<int>(rng() % 300));
        const auto whole = read_whole(text);
        ASSERT_EQ(whole.error, "");
        for (const std::size_t parts : {1, 2, 3, 5, 8, 64}) {
            const auto chunked = read_in_chunks(text, parts);
            EXPECT_EQ(chunked.error, "");
            ASSERT_EQ(chunked.rows, whole.rows) << "round " << round << ", " << parts << " parts";
        }
    }
}

TEST(CsvChunks, ReportTheErrorOfTheWholeTextFirst) {
    std::mt19937 rng(8);
    int tested = 0;
    for (int round = 0; round < 60; ++round) {
        auto text = random_csv(rng, 50 + static_cast<int>(rng() % 200));
        // A stray quote inside a plain field, or a quoted field never closed.
        const auto at = text.find("plain", text.size() * (rng() % 100) / 100);
        if (at == std::string::npos) continue;
        if (round % 3 == 0)
            text.insert(at, "\"never closed");
        else
            text.insert(at + 2, "\"");
        const auto whole = read_whole(text);
        if (whole.error.empty()) continue;  // the inserted quote happened to pair up
        ++tested;
        for (const std::size_t parts : {2, 3, 7}) {
            const auto chunked = read_in_chunks(text, parts);
            EXPECT_EQ(chunked.error, whole.error) << "round " << round << ", " << parts << " parts";
            EXPECT_EQ(chunked.rows, whole.rows);  // the rows before the error
        }
    }
    EXPECT_GT(tested, 40);
}

TEST(CsvChunks, HeaderErrorsAndEmptyTexts) {
    EXPECT_EQ(read_in_chunks("", 2).error, "t.csv:1: expected a header row, got 'an empty file'");
    EXPECT_EQ(read_in_chunks("\n\r\n", 2).error,
              "t.csv:1: expected a header row, got 'an empty file'");
    const auto only_header = read_in_chunks("a,b\n", 4);
    EXPECT_EQ(only_header.rows.size(), 1u);
    // Rows ended by a lone CR count as lines, which line feeds do not say: the chunk reports it.
    const std::string cr = "a,b\r1,2\r3,4\r5,6\r";
    const auto chunks = refmatch::detail::split_csv(
        cr, "t.csv", [](csv_row&) {}, 2);
    ASSERT_EQ(chunks.size(), 1u);
    EXPECT_FALSE(refmatch::detail::read_csv_chunk(cr, chunks[0], "t.csv", [](csv_row&) {}));
}

// --- Large tables: read in parts on several threads (4 MiB or more per part) ---------------------

namespace {

std::shared_ptr<const refmatch::vocabulary> vocab() {
    refmatch::product_catalog products;
    products.add({"crm", "CRM Suite", "sales"});
    return refmatch::standard_vocabulary(products);
}

refmatch::read_options named(std::vector<parse_error>* errors = nullptr) {
    refmatch::read_options o;
    o.source = "usage.csv";
    o.errors = errors;
    return o;
}

// The references of `text`, read as references.csv with its errors collected in `errors`.
std::vector<refmatch::reference_customer> references_of(const std::string& text,
                                                        const refmatch::vocabulary& v,
                                                        std::vector<parse_error>& errors) {
    refmatch::read_options o;
    o.source = "references.csv";
    o.errors = &errors;
    return refmatch::parse_references(text, refmatch::file_format::csv, v, o);
}

}  // namespace

// 300,000 usage rows (about 12 MB), some with a line break inside a quoted opportunity id, and
// errors planted far into the file: every error has the line counted by hand, in file order.
TEST(LargeTables, UsageReadInPartsKeepsLinesAndMessages) {
    const auto v = vocab();
    std::string text = "reference_id,activity,opportunity_id,date\n";
    std::size_t line = 1;
    std::vector<std::string> expected;
    for (int i = 0; i < 300000; ++i) {
        ++line;
        const std::string ref = "R-" + std::to_string(i / 5);
        if (i == 1000 || i == 150001 || i == 299998) {
            text += ref + ",no_such_activity,O-1,2025-01-01\n";
            expected.push_back("usage.csv:" + std::to_string(line) +
                               ": field 'activity': expected one of the activity types name_drop, "
                               "logo_use, quote, rfp_text, success_story, case_study, "
                               "roi_case_study, sales_call, pr, analyst_interview, "
                               "video_testimonial, site_visit, got 'no_such_activity'");
        } else if (i == 210000) {
            text += ref + ",quote,O-1,2025-02-30\n";
            expected.push_back("usage.csv:" + std::to_string(line) +
                               ": field 'date': expected a date YYYY-MM-DD, got '2025-02-30'");
        } else if (i % 7 == 3) {
            text += ref + ",sales_call,\"O-" + std::to_string(i) + "\nsecond line\",2025-03-01\n";
            ++line;
        } else {
            text += ref + ",quote,O-" + std::to_string(i) + ",2025-03-01\n";
        }
    }
    ASSERT_GT(text.size(), std::size_t{9} << 20);
    std::vector<parse_error> errors;
    const auto events = refmatch::parse_usage(text, refmatch::file_format::csv, *v, named(&errors));
    EXPECT_EQ(events.size(), 300000u - expected.size());
    ASSERT_EQ(errors.size(), expected.size());
    for (std::size_t i = 0; i < errors.size(); ++i) EXPECT_EQ(errors[i].what(), expected[i]);
    EXPECT_EQ(events[3].opportunity_id, "O-3\nsecond line");
    EXPECT_EQ(events.back().reference_id, "R-59999");
    // Not collecting: the first error is thrown.
    try {
        (void)refmatch::parse_usage(text, refmatch::file_format::csv, *v, named());
        ADD_FAILURE() << "no error";
    } catch (const parse_error& e) {
        EXPECT_EQ(e.what(), expected.front());
    }
}

// References in id order, then one out of order and a duplicate of a record read by another
// part: the message names the first occurrence's line.
TEST(LargeTables, DuplicateIdsAcrossPartsNameTheFirstLine) {
    const auto v = vocab();
    std::string text =
        "id,name,industry,products,country,size_band,status,consents,nps,csat,health,owner,"
        "last_contact\n";
    const auto row = [](const std::string& id) {
        return id + ",\"Company " + id + ", Inc.\",52,crm,US,2,active,sales_call;quote,9,90,80," +
               "Ana Lima,2025-01-02\n";
    };
    const int n = 90000;
    for (int i = 0; i < n; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "R-%06d", i);
        text += row(id);
    }
    text += row("A-0");       // out of order: ids are indexed from here
    text += row("R-000010");  // line 12 had it
    text += row("R-089999");  // the last of the ordered ones
    ASSERT_GT(text.size(), std::size_t{8} << 20);
    std::vector<parse_error> errors;
    const auto refs = references_of(text, *v, errors);
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(refs.size(), static_cast<std::size_t>(n) + 1) << errors.front().what();
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(std::string(errors[0].what()),
              "references.csv:" + std::to_string(n + 3) +
                  ": field 'id': expected a reference id not used before (first on line 12), "
                  "got 'R-000010'");
    EXPECT_EQ(std::string(errors[1].what()),
              "references.csv:" + std::to_string(n + 4) +
                  ": field 'id': expected a reference id not used before (first on line " +
                  std::to_string(n + 1) + "), got 'R-089999'");
    // In order, a repeated id is the one just before.
    std::string twice = text.substr(0, text.find("A-0"));
    twice += row("R-089999");
    errors.clear();
    (void)references_of(twice, *v, errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(std::string(errors[0].what()),
              "references.csv:" + std::to_string(n + 2) +
                  ": field 'id': expected a reference id not used before (first on line " +
                  std::to_string(n + 1) + "), got 'R-089999'");
}

// The first part of a large references table out of id order and with a bad row, the second
// holding an id of the first: the records come back in file order, the errors by line, as a
// one-row-at-a-time reading gives them (its expectations counted here from the rows written).
TEST(LargeTables, ReferencesReadInPartsKeepFileOrderWhenTheFirstPartIsUnordered) {
    const auto v = vocab();
    std::string text =
        "id,name,industry,products,country,size_band,status,consents,nps,csat,health,owner,"
        "last_contact\n";
    const auto row = [](const std::string& id, const std::string& status) {
        return id + ",Soci\xC3\xA9t\xC3\xA9 " + id + " SA,52,crm,FR,2," + status +
               ",sales_call;quote,9,90,80,Ana Lima,2025-01-02\n";
    };
    const int n = 90000;
    std::vector<std::string> ids;  // the good rows, in file order
    for (int i = 0; i < n; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "R-%06d", n - i);  // descending
        if (i == 7) {
            text += row(id, "sleeping");  // line 9
            continue;
        }
        text += row(id, "active");
        ids.emplace_back(id);
    }
    text += row("R-000100", "active");  // line n + 2; first on line n - 98 (row n - 100)
    ASSERT_GT(text.size(), std::size_t{8} << 20);
    std::vector<parse_error> errors;
    const auto refs = references_of(text, *v, errors);
    ASSERT_EQ(refs.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(refs[i].id, ids[i]) << i;
    EXPECT_EQ(refs.front().name, "Soci\xC3\xA9t\xC3\xA9 R-090000 SA");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(std::string(errors[0].what()),
              "references.csv:9: field 'status': expected one of candidate, active, paused, "
              "retired, got 'sleeping'");
    EXPECT_EQ(std::string(errors[1].what()),
              "references.csv:" + std::to_string(n + 2) +
                  ": field 'id': expected a reference id not used before (first on line " +
                  std::to_string(n - 100 + 2) + "), got 'R-000100'");
}

// The reader a program load uses, which packs each record (parse_reference_batch), reads every
// table as parse_references does: a large one in id order (its later parts join the first
// whole, their bytes moved), the two of the tests above, and one with a bad row in each part.
TEST(LargeTables, PackedReadingGivesTheRecordsAndErrorsOfTheRecordReading) {
    const auto v = vocab();
    const std::string header =
        "id,name,industry,products,country,size_band,status,consents,nps,csat,health,owner,"
        "last_contact\n";
    const auto row = [](int i, const std::string& status) {
        char id[16];
        std::snprintf(id, sizeof id, "R-%06d", i);
        return std::string(id) + ",\"Company " + id + ", Inc.\"," + (i % 3 ? "52" : "") +
               ",crm,US," + std::to_string(i % 5) + "," + status +
               ",sales_call;quote:" + std::to_string(1 + i % 4) + "/365/30," +
               std::to_string(i % 11) + ",90,80," + (i % 2 ? "Ana Lima" : "") + ",2025-01-02\n";
    };
    std::string ordered = header, bad = header;
    for (int i = 0; i < 120000; ++i) {
        ordered += row(i, "active");
        bad += row(i, i == 5 || i == 100000 ? "sleeping" : "active");
    }
    ASSERT_GT(ordered.size(), std::size_t{8} << 20);
    for (const std::string* text : {&ordered, &bad}) {
        for (const bool collect : {true, false}) {
            std::vector<parse_error> want_errors, got_errors;
            std::vector<refmatch::reference_customer> want;
            refmatch::reference_batch got;
            std::string want_thrown, got_thrown;
            refmatch::read_options o;
            o.source = "references.csv";
            try {
                o.errors = collect ? &want_errors : nullptr;
                want = refmatch::parse_references(*text, refmatch::file_format::csv, *v, o);
            } catch (const parse_error& e) {
                want_thrown = e.what();
            }
            try {
                o.errors = collect ? &got_errors : nullptr;
                got = refmatch::detail::parse_reference_batch(*text, refmatch::file_format::csv, *v,
                                                              o);
            } catch (const parse_error& e) {
                got_thrown = e.what();
            }
            EXPECT_EQ(got_thrown, want_thrown);
            ASSERT_EQ(got.size(), want.size());
            EXPECT_TRUE(got.unpack() == want);
            ASSERT_EQ(got_errors.size(), want_errors.size());
            for (std::size_t i = 0; i < want_errors.size(); ++i)
                EXPECT_STREQ(got_errors[i].what(), want_errors[i].what());
        }
    }
    std::vector<parse_error> errors;
    EXPECT_EQ(references_of(ordered, *v, errors).size(), 120000u);
    EXPECT_TRUE(errors.empty());
}

// Fields are looked up from where the last one was found: columns in any order, and a row read
// after rows of another shape, give the records of the columns in their usual order.
TEST(LargeTables, ReferenceColumnsInAnyOrderReadAlike) {
    const auto v = vocab();
    const std::vector<std::string> names = {
        "id",       "name", "industry", "products", "country", "size_band",   "status",
        "consents", "nps",  "csat",     "health",   "owner",   "last_contact"};
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < 300; ++i) {
        const auto n = std::to_string(1000 + i);
        rows.push_back({"R-" + n, "Company " + n, i % 3 ? "52" : "", i % 2 ? "crm" : "",
                        i % 4 ? "FR" : "", std::to_string(i % 3), i % 5 ? "active" : "paused",
                        i % 2 ? "sales_call" : "sales_call;quote", std::to_string(i % 11),
                        std::to_string(i % 101), i % 7 ? "" : "55.5", "Owner " + n,
                        i % 6 ? "2025-03-04" : ""});
    }
    const auto text_in = [&](const std::vector<std::size_t>& order) {
        std::string text;
        for (std::size_t c = 0; c < order.size(); ++c) text += (c ? "," : "") + names[order[c]];
        text += '\n';
        for (const auto& row : rows) {
            for (std::size_t c = 0; c < order.size(); ++c) text += (c ? "," : "") + row[order[c]];
            text += '\n';
        }
        return text;
    };
    std::vector<std::size_t> order(names.size());
    for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
    std::vector<parse_error> errors;
    const auto expected = references_of(text_in(order), *v, errors);
    ASSERT_TRUE(errors.empty()) << errors.front().what();
    ASSERT_EQ(expected.size(), rows.size());
    EXPECT_EQ(expected[7].owner, "Owner 1007");
    EXPECT_EQ(expected[7].signals.health, 55.5);
    std::mt19937 rng(17);
    for (int trial = 0; trial < 8; ++trial) {
        std::shuffle(order.begin(), order.end(), rng);
        const auto got = references_of(text_in(order), *v, errors);
        ASSERT_TRUE(errors.empty()) << errors.front().what();
        EXPECT_EQ(got, expected) << trial;
    }
}

// The reader's word-at-a-time scans, against byte loops: every length, alignment and byte.
TEST(CsvText, CountsAndPrintableChecksAgreeWithByteLoops) {
    std::mt19937 rng(11);
    const char probes[] = {'\n', '"', ',', '\0', '\x7F', '\x80', '\xFF', ' '};
    const std::string bytes = std::string("\n\",;\r\t\x1F\x7F\x80\xC3\xA9\xFF", 13) + "abcXYZ ~";
    std::string buffer(200, ' ');
    for (int round = 0; round < 4000; ++round) {
        for (auto& c : buffer) c = bytes[rng() % bytes.size()];
        const std::size_t at = rng() % 16, size = rng() % 150;
        const std::string_view s(buffer.data() + at, size);
        for (const char probe : probes)
            ASSERT_EQ(refmatch::detail::count_byte(s, probe),
                      static_cast<std::size_t>(std::count(s.begin(), s.end(), probe)))
                << "round " << round;
        const std::string_view plain = s.substr(0, rng() % (s.size() + 1));
        const bool printable = std::all_of(plain.begin(), plain.end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
        });
        ASSERT_EQ(refmatch::detail::printable_ascii(plain), printable) << "round " << round;
    }
    // Long runs of one byte: each word's counts are added up before they overflow.
    for (const std::size_t n : {0, 7, 8, 2039, 2040, 2041, 100000}) {
        const std::string run(n, '\n');
        EXPECT_EQ(refmatch::detail::count_byte(run, '\n'), n);
        EXPECT_EQ(refmatch::detail::count_byte(run, 'x'), 0u);
        EXPECT_TRUE(refmatch::detail::printable_ascii(std::string(n, '~')));
    }
    EXPECT_TRUE(refmatch::detail::printable_ascii({}));
}

// Fields of every length up to a few words, with the bytes that end a plain field at every
// position: read back as written, and a row is `printable` exactly when all of it is printable
// ASCII with no doubled quote (whose field is unescaped elsewhere).
TEST(CsvRows, FieldsOfEveryLengthReadAsWrittenAndPrintableRowsAreMarked) {
    std::mt19937 rng(5);
    const std::string alphabet = "abcdefgh ;-.:/~,\"\n\xC3\xA9";  // the last two bytes: one é
    for (int round = 0; round < 300; ++round) {
        std::string text = "a,b,c,d\n";
        std::vector<std::vector<std::string>> written;
        std::vector<bool> printable;
        for (int row = 0, rows = 1 + static_cast<int>(rng() % 20); row < rows; ++row) {
            std::vector<std::string> fields;
            bool plain_row = true;
            for (int f = 0; f < 4; ++f) {
                std::string field;
                for (std::size_t k = 0, n = rng() % 24; k < n; ++k) {
                    const std::size_t pick = rng() % (alphabet.size() - 1);
                    field += pick == alphabet.size() - 2 ? std::string("\xC3\xA9")
                                                         : std::string(1, alphabet[pick]);
                }
                const bool quoted =
                    field.find_first_of(",\"\n") != std::string::npos || rng() % 5 == 0;
                if (field.find_first_of("\"\n") != std::string::npos ||
                    field.find('\xC3') != std::string::npos)
                    plain_row = false;
                if (f) text += ',';
                if (quoted) {
                    text += '"';
                    for (const char c : field)
                        text += c == '"' ? std::string("\"\"") : std::string(1, c);
                    text += '"';
                } else {
                    text += field;
                }
                fields.push_back(field);
            }
            text += rng() % 2 ? "\n" : "\r\n";
            written.push_back(fields);
            printable.push_back(plain_row);
        }
        std::vector<std::vector<std::string>> read;
        std::vector<bool> marked;
        refmatch::detail::read_csv(
            text, "t.csv", [](csv_row&) {},
            [&](csv_row& r) {
                read.emplace_back(r.fields.begin(), r.fields.end());
                marked.push_back(r.printable);
            });
        ASSERT_EQ(read, written) << "round " << round;
        ASSERT_EQ(marked, printable) << "round " << round;
    }
}
