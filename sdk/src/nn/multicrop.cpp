#include "ssl/nn/multicrop.h"

#include <ATen/ATen.h>

#include "ssl/sdk/error.h"

namespace ssl::nn {

sdk::ViewSpec multicrop_views(int64_t max_local) {
  sdk::ViewSpec spec;
  spec.min_views = 2;
  spec.max_views = 2 + max_local;
  return spec;
}

void check_multicrop(const sdk::Batch& batch, const std::string& method) {
  const auto& v = batch.views;
  SSL_CHECK(v.size() >= 2, "method ", method, ": multi-crop needs 2 global crops (views 0 and 1), got ", v.size(),
            " view(s)");
  for (size_t i = 0; i < v.size(); ++i)
    SSL_CHECK(v[i].dim() == 4 && v[i].size(0) == v[0].size(0), "method ", method, ": view ", i, " has shape ",
              v[i].sizes(), "; every view must be [N, C, H, W] with the batch size of view 0 (", v[0].size(0), ")");
  SSL_CHECK(v[0].sizes() == v[1].sizes(), "method ", method, ": the global crops (views 0 and 1) differ in shape, ",
            v[0].sizes(), " vs ", v[1].sizes(), "; list the two global crops first in [[views]]");
}

std::vector<at::Tensor> forward_multicrop(const std::vector<at::Tensor>& views,
                                          const std::function<at::Tensor(const at::Tensor&)>& f) {
  std::vector<at::Tensor> out;
  out.reserve(views.size());
  size_t start = 0;
  while (start < views.size()) {
    size_t end = start + 1;
    while (end < views.size() && views[end].sizes().slice(1) == views[start].sizes().slice(1)) ++end;
    std::vector<at::Tensor> run(views.begin() + long(start), views.begin() + long(end));
    const at::Tensor y = f(run.size() == 1 ? run[0] : at::cat(run, 0));
    int64_t offset = 0;
    for (size_t i = start; i < end; ++i) {
      out.push_back(y.narrow(0, offset, views[i].size(0)));
      offset += views[i].size(0);
    }
    start = end;
  }
  return out;
}

}  // namespace ssl::nn
