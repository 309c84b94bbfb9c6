#pragma once
// A small, fast, deterministic random generator (xoshiro256** seeded through splitmix64).
// Augmentations draw only from the Rng they are handed, never from global state, so a sample's
// views depend on (seed, epoch, index, view) alone and batches are identical whatever the
// number of loader threads.
#include <cmath>
#include <cstdint>

namespace ssl::sdk {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) {
    uint64_t x = seed;
    for (auto& s : state_) s = splitmix(x);
  }

  // The generator for one view of one sample in one epoch.
  static Rng for_sample(uint64_t seed, uint64_t epoch, uint64_t index, uint64_t view) {
    uint64_t h = seed;
    h = mix(h ^ (epoch + 0x9e3779b97f4a7c15ULL));
    h = mix(h ^ (index + 0xbf58476d1ce4e5b9ULL));
    h = mix(h ^ (view + 0x94d049bb133111ebULL));
    return Rng(h);
  }

  // An independent generator derived from this one's seed material and `stream`.
  Rng fork(uint64_t stream) const { return Rng(mix(state_[0] ^ mix(state_[3] + stream))); }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi).
  int64_t randint(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo);
    return span == 0 ? lo : lo + static_cast<int64_t>(next_u64() % span);
  }
  bool bernoulli(double p) { return uniform() < p; }
  double normal() {  // standard normal, Box-Muller
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static uint64_t splitmix(uint64_t& x) { return mix(x += 0x9e3779b97f4a7c15ULL); }
  uint64_t state_[4];
};

}  // namespace ssl::sdk
