#pragma once
// A dataset: indexable images with optional labels. Images are OpenCV matrices, HWC, CV_8U
// with 1 or 3 channels (RGB order). get() must be thread-safe; loader threads call it
// concurrently. Corrupt data throws sdk::Error naming the file (and index).
#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "ssl/sdk/export.h"

namespace ssl::sdk {

struct Sample {
  cv::Mat image;
  int64_t label = -1;  // -1: unlabelled
};

struct DatasetInfo {
  int64_t channels = 0;             // 1 or 3
  int64_t height = 0, width = 0;    // 0 where images differ in size
  int64_t num_classes = 0;          // 0: unlabelled
  std::vector<std::string> class_names;
};

class SSL_SDK_API Dataset {
 public:
  virtual ~Dataset();
  virtual int64_t size() const = 0;
  virtual Sample get(int64_t index) const = 0;
  virtual DatasetInfo info() const = 0;
  // All labels in index order; the default decodes every sample (override when cheaper).
  virtual std::vector<int64_t> labels() const;
};

}  // namespace ssl::sdk
