#pragma once
// What the pretext tasks share: the image prepared for cutting (float, resized to a square),
// a patch standardised on its own, and the step output of a K-way classification task.
#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "ssl/nn/contrastive_metrics.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/method.h"

namespace ssl::plugins::method_pretext {

// image (8-bit in [0, 255] or float, any channels) -> float, resized to size x size.
inline cv::Mat float_square(const cv::Mat& image, int size, const char* method) {
  SSL_CHECK(!image.empty(), method, ": an empty image");
  cv::Mat f;
  image.convertTo(f, CV_32F, image.depth() == CV_8U ? 1.0 / 255.0 : 1.0);
  if (f.rows != size || f.cols != size) cv::resize(f, f, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  return f;
}

// Zero mean and unit variance over all pixels and channels of the patch (a constant patch
// becomes 0).
inline cv::Mat standardized(const cv::Mat& patch) {
  cv::Scalar mean, stddev;
  cv::meanStdDev(patch.reshape(1), mean, stddev);
  return (patch - cv::Scalar::all(mean[0])) / (stddev[0] + 1e-5);
}

// Cross-entropy of logits [N, K] to target [N]; metrics loss, accuracy, uniform_loss_ref = ln K.
inline sdk::StepOutput classification_output(const at::Tensor& logits, const at::Tensor& target, int64_t classes) {
  sdk::StepOutput out;
  out.loss = at::cross_entropy_loss(logits, target);
  out.metrics = {{"loss", out.loss.detach()},
                 {"accuracy", (logits.detach().argmax(1) == target).to(at::kFloat).mean()},
                 {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(classes)}};
  return out;
}

}  // namespace ssl::plugins::method_pretext
