#pragma once
// Linear probe on frozen features: one linear layer trained with SGD on standardised backbone
// features of the train split, scored on the test split (the linear evaluation protocol of
// Zhang et al. 2016 / Chen et al. 2020 (SimCLR) / Caron et al. 2021 (DINO)).
//
// Features are standardised with the train split's per-dimension mean and std (test features
// with the same statistics), which makes one learning rate work whatever the backbone's feature
// scale; the probe is otherwise the usual recipe: SGD, momentum 0.9, cosine decay, no weight
// decay (MoCo, DINO), weights initialised N(0, 0.01) and bias 0 (MoCo, DINO), seeded.
// The `linear` evaluator (linear_probe.cpp) runs linear_probe on the extracted features.
#include <ATen/core/Tensor.h>

#include <c10/core/Device.h>

#include <atomic>
#include <cstdint>

namespace ssl::plugins::evaluator_core {

struct LinearProbeOptions {
  int64_t epochs = 10;  // converges on standardised features (DINO: 100 on ImageNet)
  int64_t batch_size = 256;
  double lr = 0.1;  // peak learning rate, decayed to 0 with a cosine
  double momentum = 0.9;
  double weight_decay = 0.0;
  uint64_t seed = 0;  // weight init and shuffling
  const std::atomic<bool>* stop = nullptr;  // checked every batch (sdk::throw_if_stopped)
};

struct LinearProbeResult {
  double train_top1 = 0.0;  // fractions in [0, 1]
  double test_top1 = 0.0;
  at::Tensor test_predictions;  // [Ne] int64 on the CPU: the probe's class for each test sample
};

// Trains the probe on train_x [Nt, D] / train_y [Nt] (int64 in [0, C)) and scores it on
// test_x [Ne, D] / test_y [Ne]. All heavy math on `device`; deterministic for a fixed seed.
LinearProbeResult linear_probe(const at::Tensor& train_x, const at::Tensor& train_y, const at::Tensor& test_x,
                               const at::Tensor& test_y, int64_t num_classes, const LinearProbeOptions& options,
                               c10::Device device);

}  // namespace ssl::plugins::evaluator_core
