#pragma once
// One augmentation op. Views are declared in the pipeline as groups of op chains; each op
// maps an image to an image using only the Rng it is handed. Ops are shared between loader
// threads: apply() is const and thread-safe.
#include <opencv2/core/mat.hpp>

#include "ssl/sdk/export.h"
#include "ssl/sdk/rng.h"

namespace ssl::sdk {

class SSL_SDK_API Augmentation {
 public:
  virtual ~Augmentation();
  // `image`: HWC, CV_8U or CV_32F, 1 or 3 channels. The result may share data with `image`
  // only if it is unchanged.
  virtual cv::Mat apply(const cv::Mat& image, Rng& rng) const = 0;
};

}  // namespace ssl::sdk
