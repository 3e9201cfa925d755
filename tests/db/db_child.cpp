// A child process for the database's crash and concurrency tests (tests/db_test.cpp):
//
//   db_child record FILE ACKS SEED COUNT   records COUNT calls, singles and batches, and appends
//                                          the call's opportunity id ("t:s..." for a single use,
//                                          "t:b..." for a batch) to ACKS after it returned
//   db_child write FILE ACKS COUNT TAG     records COUNT single uses tagged TAG; "ok <n>" or
//                                          "busy <n>" per call
//   db_child watch FILE MILLIS             refreshes for MILLIS ms and checks each state it sees:
//                                          every batch whole; prints "views <n>" and exits 0,
//                                          or prints the broken batch and exits 3
//
// Acknowledgements go straight to the file with write(2), so a kill -9 loses none that were made.

#include "db_workload.hpp"

#include <refmatch/db/database.hpp>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <iostream>
#include <random>
#include <string>
#include <unistd.h>

namespace {

void ack(int fd, const std::string& line) {
    const std::string text = line + "\n";
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
}

int open_acks(const char* path) {
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) std::abort();
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace refmatch;
    if (argc < 3) return 2;
    const std::string mode = argv[1];
    try {
        database db(argv[2]);
        if (mode == "record" && argc == 6) {
            const int fd = open_acks(argv[3]);
            std::mt19937_64 rng(std::stoull(argv[4]));
            const long count = std::stol(argv[5]);
            const auto refs = db.program()->references.all();
            for (long n = 0; n < count; ++n) {
                // A fresh tag per call: the parent knows which events each call wrote.
                const auto tag = std::to_string(rng());
                if (rng() % 2) {
                    db.record_usage(test_workload::single(refs, rng, "t:s" + tag),
                                    {"child", test_workload::at()});
                    ack(fd, "t:s" + tag);
                } else {
                    db.record_usage(test_workload::batch(refs, rng, "t:b" + tag),
                                    {"child", test_workload::at()});
                    ack(fd, "t:b" + tag);
                }
            }
            return 0;
        }
        if (mode == "write" && argc == 6) {
            const int fd = open_acks(argv[3]);
            const long count = std::stol(argv[4]);
            const std::string tag = argv[5];
            std::mt19937_64 rng(std::hash<std::string>{}(tag));
            const auto refs = db.program()->references.all();
            for (long n = 0; n < count; ++n) {
                const auto id = tag + "-" + std::to_string(n);
                try {
                    db.record_usage(test_workload::single(refs, rng, id),
                                    {"child", test_workload::at()});
                    ack(fd, "ok " + id);
                } catch (const database_busy_error&) {
                    ack(fd, "busy " + id);
                }
            }
            return 0;
        }
        if (mode == "watch" && argc == 4) {
            const auto until =
                std::chrono::steady_clock::now() + std::chrono::milliseconds(std::stol(argv[3]));
            long views = 0;
            while (std::chrono::steady_clock::now() < until) {
                if (db.refresh()) ++views;
                const auto broken = test_workload::broken_batch(db.program()->usage.events());
                if (!broken.empty()) {
                    std::cout << "broken batch " << broken << '\n';
                    return 3;
                }
            }
            std::cout << "views " << views << '\n';
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "db_child: " << e.what() << '\n';
        return 1;
    }
    return 2;
}
