// ssl::nn::max_hamming_permutations: the jigsaw permutation set (greedy maximal minimum
// Hamming distance).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <set>
#include <vector>

#include "ssl/nn/permutations.h"

using ssl::nn::hamming_distance;
using ssl::nn::max_hamming_permutations;

namespace {

bool is_permutation_of_range(std::vector<int64_t> p) {
  std::sort(p.begin(), p.end());
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != int64_t(i)) return false;
  return true;
}

}  // namespace

TEST_CASE("permutations of 3, by hand: the greedy set is first the cyclic rotations, then a transposition") {
  // Of the 6 permutations of 3, two differ in 3 positions exactly when one is a rotation of the
  // other (a 3-cycle apart), else in 2 (a transposition apart). From any start the greedy
  // choice takes the two rotations of it (distance 3 to all chosen), so 3 members are pairwise
  // 3 apart; a fourth can only be a transposition of some member: minimum 2.
  for (uint64_t seed : {0u, 1u, 7u}) {
    const auto three = max_hamming_permutations(3, 3, seed);
    REQUIRE(three.perms.size() == 3);
    CHECK(three.min_distance == 3);
    CHECK(three.mean_distance == Approx(3.0));
    const auto& p = three.perms[0];
    // The rotations of the start, in lexicographic order (ties go to the smaller rank).
    std::vector<std::vector<int64_t>> rotations{{p[1], p[2], p[0]}, {p[2], p[0], p[1]}};
    std::sort(rotations.begin(), rotations.end());
    CHECK(three.perms[1] == rotations[0]);
    CHECK(three.perms[2] == rotations[1]);
    CHECK(max_hamming_permutations(4, 3, seed).min_distance == 2);
  }
  // All six: each permutation has 3 others at distance 2 and 2 at distance 3: mean 12 / 5.
  const auto all = max_hamming_permutations(6, 3, 0);
  CHECK(all.min_distance == 2);
  CHECK(all.mean_distance == Approx(2.4));
  CHECK(hamming_distance({0, 1, 2, 3}, {1, 0, 2, 3}) == 2);
  CHECK_THROWS_WITH(max_hamming_permutations(7, 3, 0), Catch::Contains("count must be in [1, 6]"));
  CHECK_THROWS_WITH(max_hamming_permutations(1, 10, 0), Catch::Contains("n must be in [2, 9]"));
}

TEST_CASE("permutations of 4: four of them can be pairwise 4 apart, and the greedy set finds them") {
  // The rows of a 4 x 4 Latin square are 4 permutations that differ everywhere; the greedy
  // choice from any start reaches that optimum.
  for (uint64_t seed : {0u, 3u}) {
    const auto s = max_hamming_permutations(4, 4, seed);
    CHECK(s.min_distance == 4);
    for (int64_t i = 0; i < 4; ++i) {
      std::set<int64_t> column;
      for (const auto& p : s.perms) column.insert(p[size_t(i)]);
      CHECK(column.size() == 4);  // a Latin square: every tile once per position
    }
  }
}

TEST_CASE("9-tile sets of 100 and 1000: unique permutations, the distances they report, the same set per seed") {
  for (int64_t count : {100, 1000}) {
    const auto start = std::chrono::steady_clock::now();
    const auto s = max_hamming_permutations(count, 9, 5);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("P = " << count << ": " << seconds << " s, min distance " << s.min_distance << ", mean " << s.mean_distance);
    REQUIRE(int64_t(s.perms.size()) == count);
    std::set<std::vector<int64_t>> unique(s.perms.begin(), s.perms.end());
    CHECK(int64_t(unique.size()) == count);
    int64_t min_d = 9;
    double sum = 0;
    for (size_t a = 0; a < s.perms.size(); ++a) {
      CHECK(is_permutation_of_range(s.perms[a]));
      for (size_t b = a + 1; b < s.perms.size(); ++b) {
        const int64_t d = hamming_distance(s.perms[a], s.perms[b]);
        min_d = std::min(min_d, d);
        sum += double(d);
      }
    }
    CHECK(s.min_distance == min_d);
    CHECK(s.mean_distance == Approx(sum / (double(count) * double(count - 1) / 2)));
    // Far from the 2 of a single swap; Noroozi & Favaro report a mean of about 8 for such sets.
    CHECK(s.min_distance >= (count == 100 ? 6 : 5));
    CHECK(s.mean_distance > 7.9);
    CHECK(max_hamming_permutations(count, 9, 5).perms == s.perms);
  }
  CHECK(max_hamming_permutations(10, 9, 6).perms != max_hamming_permutations(10, 9, 5).perms);
}
