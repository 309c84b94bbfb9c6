// ssl/nn/contrastive_metrics.h: the pair diagnostics against explicit loops, and ln K.
#include <ATen/ATen.h>
#include <torch/utils.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "ssl/nn/contrastive_metrics.h"

namespace {
double cosine(const at::Tensor& a, const at::Tensor& b) {
  return (a * b).sum().item<double>() / (a.norm().item<double>() * b.norm().item<double>());
}
}  // namespace

TEST_CASE("pair_similarity is the mean positive cosine and the mean over the 2N(2N-2) negative pairs") {
  torch::manual_seed(5);
  const int64_t n = 4;
  const at::Tensor z1 = at::randn({n, 6}, at::kDouble).requires_grad_();
  const at::Tensor z2 = at::randn({n, 6}, at::kDouble);
  const at::Tensor all = at::cat({z1.detach(), z2}, 0);
  double pos = 0, neg = 0;
  for (int64_t i = 0; i < n; ++i) pos += cosine(z1[i].detach(), z2[i]);
  for (int64_t i = 0; i < 2 * n; ++i)
    for (int64_t j = 0; j < 2 * n; ++j)
      if (j != i && j != (i + n) % (2 * n)) neg += cosine(all[i], all[j]);
  const ssl::nn::PairSimilarity s = ssl::nn::pair_similarity(z1, z2);
  CHECK(s.pos_sim.item<double>() == Approx(pos / n).epsilon(1e-9));
  CHECK(s.neg_sim.item<double>() == Approx(neg / double(2 * n * (2 * n - 2))).epsilon(1e-9));
  CHECK_FALSE(s.pos_sim.requires_grad());
  CHECK_FALSE(s.neg_sim.requires_grad());
  // Identical views of one point: everything is 1 (complete collapse).
  const at::Tensor same = at::ones({n, 6});
  CHECK(ssl::nn::pair_similarity(same, same).neg_sim.item<double>() == Approx(1.0));
  CHECK_THROWS(ssl::nn::pair_similarity(z1, z2.narrow(0, 0, 2)));
}

TEST_CASE("uniform_loss_ref is ln K, the cross-entropy of K equal scores") {
  CHECK(ssl::nn::uniform_loss_ref(15).item<double>() == Approx(std::log(15.0)));
  const at::Tensor logits = at::zeros({1, 15});
  CHECK(-at::log_softmax(logits, 1)[0][0].item<double>() == Approx(ssl::nn::uniform_loss_ref(15).item<double>()));
  CHECK(ssl::nn::uniform_loss_ref(1).item<double>() == 0.0);
  CHECK_THROWS(ssl::nn::uniform_loss_ref(0));
}
