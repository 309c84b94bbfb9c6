#pragma once
// Multi-crop (SwAV, Caron et al. 2020; DINO, Caron et al. 2021): two global crops and any
// number of smaller local crops of each image. One convention for every method that takes
// them: views[0] and views[1] are the global crops (same size); views[2..] are local crops.
// Any pipeline with two view groups of one view each (the two-view presets) is therefore also
// a valid multi-crop batch with no local crops, and configs/augment/multicrop_small.toml
// (a group of 2 global, a group of 6 local crops) gives 2 + 6.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ssl/sdk/export.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/types.h"

namespace ssl::nn {

// The ViewSpec of a multi-crop method: 2 global crops plus at most max_local local crops.
SSL_SDK_API sdk::ViewSpec multicrop_views(int64_t max_local = 30);

// Checks the convention (at least two views, the first two of one shape, every view of one
// batch size); the error names `method` and the offending view.
SSL_SDK_API void check_multicrop(const sdk::Batch& batch, const std::string& method);

// f applied once per run of consecutive views of the same spatial size, the run concatenated
// along the batch (so BatchNorm sees all crops of a resolution together, as in the papers'
// code); returns one output per view, in view order: f's output split back by batch size.
SSL_SDK_API std::vector<at::Tensor> forward_multicrop(const std::vector<at::Tensor>& views,
                                                      const std::function<at::Tensor(const at::Tensor&)>& f);

}  // namespace ssl::nn
