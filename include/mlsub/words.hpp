#pragma once
// Counts and articles in messages: "1 node", "2 nodes", "an A100 node",
// "an alvis account", "an 8-node job". Every message that puts a number
// before a noun or "a" before a name goes through these.

#include <string>
#include <string_view>

namespace mlsub {

// "1 node", "2 nodes"; `plural_form` for nouns that do not take an s.
std::string plural(long long n, std::string_view word);
std::string plural(long long n, std::string_view word, std::string_view plural_form);

// The noun alone, for "{} per node" after a number given elsewhere.
std::string noun(long long n, std::string_view word);

// "a" or "an" as the word is spoken: "an alvis", "a lumi", "an A100",
// "an MI250x", "a GH200", "a T4", "an 8", "an 11", "a 16".
std::string_view article(std::string_view word);

// article(word) + " " + word: "an alvis".
std::string with_article(std::string_view word);

}  // namespace mlsub
