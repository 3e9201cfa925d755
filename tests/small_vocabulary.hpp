#pragma once
// A small hand-made vocabulary for the core tests (the shipped NAICS/M49 data is tested in
// shipped_data_test.cpp).

#include <refmatch/vocabulary.hpp>

#include <memory>
#include <vector>

namespace refmatch::test_support {

// Industries: 51 ─ 511 ─ 5111, 5112 ; 52 ─ 521
// Geography:  root 001 ─ 150 Europe ─ 155 Western Europe ─ DE, FR
//                                   └ 039 Southern Europe ─ IT
//                      └ 019 Americas ─ US
inline std::shared_ptr<const vocabulary> small_vocabulary() {
    auto v = std::make_shared<vocabulary>();
    const std::vector<taxonomy_entry> industries = {
        {"51", "Information", ""},   {"511", "Publishing", "51"}, {"5111", "Newspapers", "511"},
        {"5112", "Software", "511"}, {"52", "Finance", ""},       {"521", "Central Bank", "52"}};
    v->industries = taxonomy("", "", industries);
    v->industries.set_name("NAICS 2022");
    const std::vector<taxonomy_entry> geography = {{"150", "Europe", ""},
                                                   {"155", "Western Europe", "150"},
                                                   {"039", "Southern Europe", "150"},
                                                   {"019", "Americas", ""},
                                                   {"DE", "Germany", "155"},
                                                   {"FR", "France", "155"},
                                                   {"IT", "Italy", "039"},
                                                   {"US", "United States of America", "019"}};
    v->geography = taxonomy("001", "World", geography);
    v->geography.set_name("UN M49");
    v->geography.add_alias("DEU", v->geography.at("DE"));
    v->geography.add_alias("Europe", v->geography.at("150"));
    for (const char* id : {"crm", "erp", "bi", "hr"}) v->products.add({id, id, ""});
    return v;
}

}  // namespace refmatch::test_support
