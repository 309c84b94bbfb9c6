#include "ssl/nn/permutations.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "ssl/sdk/error.h"

namespace ssl::nn {
namespace {

// A permutation of up to 9 elements packed one value per 4-bit nibble.
uint64_t pack(const std::vector<int64_t>& p) {
  uint64_t code = 0;
  for (size_t i = 0; i < p.size(); ++i) code |= static_cast<uint64_t>(p[i]) << (4 * i);
  return code;
}

// Positions where two packed permutations differ. The first 8 nibbles are compared in 32 bits:
// OR each nibble's bits into its lowest bit, then add the 8 bits with shifts (each partial
// sum <= 8 fits in a nibble); the 9th value is compared on its own. Only shifts, ANDs and
// adds, so the candidate loop vectorises.
inline uint32_t low_distance(uint32_t a, uint32_t b) {
  uint32_t x = a ^ b;
  x |= x >> 1;
  x |= x >> 2;
  x &= 0x11111111u;
  x += x >> 4;
  x += x >> 8;
  x += x >> 16;
  return x & 0xFu;
}
inline uint32_t packed_distance(uint64_t a, uint64_t b) {
  return low_distance(uint32_t(a), uint32_t(b)) + uint32_t((a >> 32) != (b >> 32));
}

}  // namespace

int64_t hamming_distance(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  SSL_CHECK(a.size() == b.size(), "hamming_distance: permutations of ", a.size(), " and ", b.size(), " elements");
  int64_t d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += a[i] != b[i];
  return d;
}

PermutationSet max_hamming_permutations(int64_t count, int64_t n, uint64_t seed) {
  SSL_CHECK(n >= 2 && n <= 9, "max_hamming_permutations: n must be in [2, 9], got ", n);
  int64_t total = 1;
  for (int64_t k = 2; k <= n; ++k) total *= k;
  SSL_CHECK(count >= 1 && count <= total, "max_hamming_permutations: count must be in [1, ", total, "] for n = ", n,
            ", got ", count);

  // Every permutation in lexicographic order, packed: values 0..7 in lo, the 9th in hi.
  std::vector<uint64_t> codes;
  codes.reserve(static_cast<size_t>(total));
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  do codes.push_back(pack(p));
  while (std::next_permutation(p.begin(), p.end()));
  const size_t size = codes.size();
  std::vector<uint32_t> lo(size), hi(size);
  for (size_t j = 0; j < size; ++j) lo[j] = uint32_t(codes[j]), hi[j] = uint32_t(codes[j] >> 32);

  // min_d: distance to the nearest chosen permutation (0 once chosen itself, so it is never
  // chosen again: every other candidate is at least 2 away); sum_d: total distance to them
  // (< 2^24: at most 9 x 9! in all). The candidate's rank is (min_d << 24) | sum_d.
  std::vector<uint32_t> min_d(size, 0xFFu), sum_d(size, 0);
  std::mt19937_64 rng(seed);
  size_t chosen = static_cast<size_t>(std::uniform_int_distribution<int64_t>(0, total - 1)(rng));
  std::vector<size_t> order{chosen};
  while (static_cast<int64_t>(order.size()) < count) {
    const uint32_t last_lo = lo[chosen], last_hi = hi[chosen];
    uint32_t best_key = 0;
    for (size_t j = 0; j < size; ++j) {  // vectorised: distances, minima, sums, the largest rank
      const uint32_t d = low_distance(lo[j], last_lo) + uint32_t(hi[j] != last_hi);
      const uint32_t m = std::min(min_d[j], d);
      min_d[j] = m;
      sum_d[j] += d;
      best_key = std::max(best_key, (m << 24) | sum_d[j]);
    }
    size_t best = 0;
    while (((min_d[best] << 24) | sum_d[best]) != best_key) ++best;  // the smallest rank with it
    chosen = best;
    order.push_back(chosen);
  }

  PermutationSet out;
  out.n = n;
  for (size_t idx : order) {
    std::vector<int64_t> perm(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = static_cast<int64_t>((codes[idx] >> (4 * i)) & 0xF);
    out.perms.push_back(std::move(perm));
  }
  out.min_distance = n;
  double sum = 0;
  int64_t pairs = 0;
  for (size_t a = 0; a < order.size(); ++a)
    for (size_t b = a + 1; b < order.size(); ++b) {
      const auto d = static_cast<int64_t>(packed_distance(codes[order[a]], codes[order[b]]));
      out.min_distance = std::min(out.min_distance, d);
      sum += double(d);
      ++pairs;
    }
  out.mean_distance = pairs > 0 ? sum / double(pairs) : 0.0;
  return out;
}

}  // namespace ssl::nn
