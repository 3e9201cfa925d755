// A child process for the request tests (tests/requests_test.cpp):
//
//   request_child approve FILE ID GO     waits until the file GO exists, then approves request
//                                        ID; prints "won" (exit 0) or "lost: <why>" (exit 3)
//   request_child cycle FILE ACKS SEED   walks new requests through the whole workflow for ever,
//                                        appending "<id> <status>" to ACKS after each operation
//                                        returned
//
// Acknowledgements go straight to the file with write(2), so a kill -9 loses none that were made.

#include "requests/request_program.hpp"

#include <refmatch/requests/request_book.hpp>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

void ack(int fd, const std::string& line) {
    const std::string text = line + "\n";
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
}

}  // namespace

int main(int argc, char** argv) {
    using namespace refmatch;
    using test_requests::at_hour;
    if (argc < 3) return 2;
    const std::string mode = argv[1];
    try {
        database db(argv[2]);
        request_book book(db);
        if (mode == "approve" && argc == 5) {
            while (!std::filesystem::exists(argv[4]))
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            try {
                book.approve(std::stoll(argv[3]), {"child", at_hour(1), ""});
            } catch (const hold_conflict& e) {
                std::cout << "lost: " << e.what() << std::endl;
                return 3;
            }
            std::cout << "won" << std::endl;
            return 0;
        }
        if (mode == "cycle" && argc == 5) {
            const int fd = ::open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd < 0) return 2;
            std::mt19937_64 rng(std::stoull(argv[4]));
            const char* refs[] = {"R-A", "R-B", "R-C", "R-D", "R-E"};
            for (long n = 0;; ++n) {
                const request_actor by{"child", at_hour(n % 24), ""};
                new_request nr;
                nr.requester = "child";
                nr.opportunity_id = "P-" + std::to_string(1 + rng() % 3);
                nr.activity = activity::sales_call;
                nr.needed_by = test_requests::first_day + std::chrono::days(5);
                const auto id = book.create(nr, by);
                ack(fd, std::to_string(id) + " requested");
                // A reference that has not declined the opportunity (an owner's decline is
                // remembered for it, as a customer's): from a random one on, the first accepted.
                bool picked = false;
                for (std::size_t i = 0, first = rng() % 5; i < 5 && !picked; ++i) {
                    const std::string pick[] = {refs[(first + i) % 5]};
                    try {
                        book.pick(id, pick, by);
                        picked = true;
                    } catch (const validation_error&) {
                    }
                }
                if (!picked) {
                    book.cancel(id, by);
                    ack(fd, std::to_string(id) + " cancelled");
                    continue;
                }
                ack(fd, std::to_string(id) + " approval_asked");
                if (rng() % 4 == 0) {
                    book.decline(id, by);
                    ack(fd, std::to_string(id) + " owner_declined");
                    book.cancel(id, by);
                    ack(fd, std::to_string(id) + " cancelled");
                    continue;
                }
                book.approve(id, by);
                ack(fd, std::to_string(id) + " approved");
                book.ask(id, outreach_channel::phone, by);
                ack(fd, std::to_string(id) + " customer_asked");
                book.accept(id, by);
                ack(fd, std::to_string(id) + " accepted");
                book.schedule(id, test_requests::first_day + std::chrono::days(2), by);
                ack(fd, std::to_string(id) + " scheduled");
                book.fulfil(id, by);
                ack(fd, std::to_string(id) + " fulfilled");
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "request_child: " << e.what() << '\n';
        return 1;
    }
    return 2;
}
