#pragma once
// Permutation sets for jigsaw puzzles (Noroozi & Favaro 2016): P permutations of n tiles chosen
// greedily so that they lie far apart in Hamming distance (the number of positions where two
// permutations differ), which makes the P-way classification well posed: no two puzzles
// differ by swapping just one pair of tiles.
//
// Greedy maximal selection over all n! permutations: the first is drawn from the seed; each
// next one is the permutation whose minimum distance to those already chosen is largest, ties
// broken by the largest total distance to them, then by the smallest lexicographic rank. The
// same (count, n, seed) gives the same set on every machine. For n = 9 one pass over the 9!
// candidates per chosen permutation, distances by bit tricks: P = 1000 takes well under a
// second.
#include <cstdint>
#include <vector>

#include "ssl/sdk/export.h"

namespace ssl::nn {

struct PermutationSet {
  int64_t n = 0;
  // perms[p][i]: the tile shown at position i in puzzle p; every row is a permutation of 0..n-1.
  std::vector<std::vector<int64_t>> perms;
  int64_t min_distance = 0;  // smallest Hamming distance between two members (n for a single one)
  double mean_distance = 0;  // mean over the pairs of members (0 for a single one)
};

// 2 <= n <= 9, 1 <= count <= n!.
SSL_SDK_API PermutationSet max_hamming_permutations(int64_t count, int64_t n, uint64_t seed);

// Hamming distance between two permutations of the same length.
SSL_SDK_API int64_t hamming_distance(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

}  // namespace ssl::nn
