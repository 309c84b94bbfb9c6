#pragma once
// Nearest neighbours for the report: for a fixed set of test images, the training images the
// encoder finds most alike (cosine similarity of backbone features, as the kNN evaluator scores
// them), with thumbnails, so a reader sees what "similar" means to the encoder. Computed from
// features an evaluator already extracted in the round: no second pass over the data.
//   neighbours/test_knn_epoch<NNN>.json
//   {"epoch", "bank_size", "dim", "queries": [{"index", "label", "label_name", "image",
//     "neighbours": [{"index", "label", "label_name", "similarity", "image"}, ...]}, ...]}
// Images are PNG data URIs (thumbnails, longer side at most kThumbnailSide).
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dataset_view.h"
#include "ssl/sdk/features.h"

namespace ssl::host::report {

inline constexpr int64_t kNeighbourQueries = 12;
inline constexpr int64_t kNeighboursShown = 8;
inline constexpr int kThumbnailSide = 64;

// Rows of `labels` (a split's labels in index order) to use as queries: round-robin over the
// classes in order of first appearance (the first image of each class, then the second, ...),
// so that a 10-class split shows every class; unlabelled rows are taken in order.
std::vector<int64_t> pick_queries(const at::Tensor& labels, int64_t count);

// The record described above, from bank (train) and query (test) features; `train` and `test`
// give the thumbnails and class names of the features' indices (DatasetView positions).
nlohmann::json nearest_neighbours(const sdk::Features& bank, const sdk::Features& queries, const DatasetView& train,
                                  const DatasetView& test, int64_t epoch);

// Writes nearest_neighbours(...) to <run_dir>/neighbours/test_knn_epoch<NNN>.json atomically.
std::filesystem::path write_neighbours(const nlohmann::json& record, const std::filesystem::path& run_dir);

// The newest neighbours record of a run folder (null when none or unreadable).
nlohmann::json read_neighbours(const std::filesystem::path& run_dir);

// The HTML grid of a record: one row per query, its neighbours beside it, mismatching labels
// marked; with `top` > 0 only the first `top` queries.
std::string neighbours_grid(const nlohmann::json& record, int64_t top = 0);

}  // namespace ssl::host::report
