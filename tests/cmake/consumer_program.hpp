#pragma once
// What both consumer programs (consumer.cpp, consumer_core.cpp) check, on the vocabulary each
// brings: the similarity of two publishers and a program holding one reference.
#include <refmatch/refmatch.hpp>

#include <cstdio>
#include <memory>

// Software Publishers 513210 and Newspaper Publishers 513110 (both depth 5) meet in subsector
// 513 (depth 2): Wu-Palmer 2*2 / (5 + 5) = 0.4.
inline double publishers_similarity(const refmatch::taxonomy& naics) {
    return naics.similarity(naics.at("513210"), naics.at("513110"));
}

// A program whose only reference, R-1, is an active software publisher in Germany.
inline refmatch::program one_reference_program(std::shared_ptr<const refmatch::vocabulary> v) {
    refmatch::program program(std::move(v));
    refmatch::reference_customer r;
    r.id = "R-1";
    r.industry = "5132";
    r.country = "DE";
    r.status = refmatch::reference_status::active;
    program.references.add(r);
    return program;
}

// Prints the line the consumer tests look for and gives the exit status.
inline int report(double similarity, bool ok) {
    std::printf("refmatch %s consumer: similarity %.3f, %s\n", refmatch::version_string, similarity,
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
