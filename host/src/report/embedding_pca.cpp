#include "report/embedding_pca.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include "atomic_file.h"
#include "ssl/sdk/error.h"

namespace ssl::host::report {

at::Tensor pca_2d(const at::Tensor& x) {
  SSL_CHECK(x.dim() == 2 && x.size(0) >= 2, "PCA needs [N, D] with N >= 2, got ", x.sizes());
  const at::Tensor z = x.to(at::kCPU, at::kDouble);
  const at::Tensor centred = z - z.mean(0, /*keepdim=*/true);
  const at::Tensor cov = centred.t().matmul(centred) / double(z.size(0) - 1);
  const auto [values, vectors] = at::linalg_eigh(cov);  // ascending eigenvalues
  const int64_t d = z.size(1);
  const int64_t k = std::min<int64_t>(2, d);
  at::Tensor top = vectors.narrow(1, d - k, k).flip({1});  // [D, k], leading component first
  const at::Tensor largest = top.abs().argmax(0);
  const at::Tensor signs = top.gather(0, largest.unsqueeze(0)).sign();
  top = top * at::where(signs == 0, at::ones_like(signs), signs);
  at::Tensor out = centred.matmul(top);
  if (k < 2) out = at::cat({out, at::zeros_like(out)}, 1);
  return out;
}

std::string pca_csv(const at::Tensor& features, const at::Tensor& labels) {
  const at::Tensor pts = pca_2d(features.reshape({features.size(0), -1})).contiguous();
  const at::Tensor lab_t = labels.to(at::kCPU, at::kLong).contiguous();
  const auto* lab = lab_t.data_ptr<int64_t>();
  const auto* p = pts.data_ptr<double>();
  std::string text;
  for (int64_t i = 0; i < pts.size(0); ++i) text += fmt::format("{:.6g},{:.6g},{}\n", p[2 * i], p[2 * i + 1], lab[i]);
  return text;
}

std::filesystem::path write_test_pca(sdk::FeatureSource& features, const std::filesystem::path& run_dir,
                                     int64_t epoch) {
  sdk::FeatureRequest req;
  req.split = sdk::Split::Test;
  req.representation = sdk::Representation::Backbone;
  req.max_samples = kPcaSamples;
  req.seed = kPcaSeed;
  const sdk::Features f = features.extract(req);
  const std::string text = pca_csv(f.values, f.labels);
  const auto path = run_dir / "embeddings" / fmt::format("test_pca_epoch{:03}.csv", epoch);
  write_file_atomic(path, std::vector<char>(text.begin(), text.end()));
  return path;
}

}  // namespace ssl::host::report
