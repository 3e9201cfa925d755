#pragma once
// What bind_requests.cpp shares with the bindings built on the request book
// (bind_assignment.cpp: the assignment of a database's open requests): the Python-side book.

#include "bind_common.hpp"

#include <refmatch/db/database.hpp>
#include <refmatch/requests/request_book.hpp>

#include <memory>
#include <string>

namespace refmatch::python {

// The book and the database it lives on (kept alive together).
struct py_request_book {
    std::shared_ptr<database> db;
    request_book book;
    py_request_book(std::shared_ptr<database> d, request_policy p)
        : db(std::move(d)), book(*db, std::move(p)) {}
    [[nodiscard]] activity_id activity(const std::string& name) const {
        return db->program()->vocab->activities.at(name);
    }
    [[nodiscard]] std::string name(activity_id a) const {
        return db->program()->vocab->activities.name(a);
    }
};

}  // namespace refmatch::python
