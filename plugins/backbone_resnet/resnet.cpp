#include "resnet.h"

#include <ATen/ATen.h>

#include "blocks.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::backbone_resnet {

namespace {

template <class Block>
torch::nn::Sequential make_stage(int64_t& in_planes, int64_t planes, int64_t blocks, int64_t stride,
                                 bool zero_init_residual) {
  torch::nn::Sequential stage;
  for (int64_t b = 0; b < blocks; ++b) {
    stage->push_back(Block(in_planes, planes, b == 0 ? stride : 1, zero_init_residual));
    in_planes = planes * Block::Impl::kExpansion;
  }
  return stage;
}

std::shared_ptr<sdk::Backbone> make_standard(const sdk::Config& cfg, const sdk::BuildContext& ctx, bool bottleneck,
                                             std::vector<int64_t> blocks) {
  ResNetSpec spec;
  spec.bottleneck = bottleneck;
  spec.blocks = std::move(blocks);
  spec.width = cfg.get_int("width");
  spec.cifar_stem = cfg.get_string("stem") == "cifar";
  spec.in_channels = sdk::input_channels(cfg, ctx);
  spec.zero_init_residual = cfg.get_bool("zero_init_residual");
  return std::make_shared<ResNet>(spec);
}

}  // namespace

ResNet::ResNet(const ResNetSpec& spec) : spec_(spec) {
  SSL_CHECK(!spec.blocks.empty() && spec.blocks.size() <= 4, "ResNet: expected 1..4 stages, got ", spec.blocks.size());
  SSL_CHECK(spec.width > 0 && spec.in_channels > 0, "ResNet: width and in_channels must be > 0, got ", spec.width,
            " and ", spec.in_channels);
  const int64_t kernel = spec.cifar_stem ? 3 : 7;
  conv1_ = register_module("conv1", make_conv(spec.in_channels, spec.width, kernel,
                                              spec.cifar_stem ? spec.stem_stride : 2, spec.cifar_stem ? 1 : 3));
  bn1_ = register_module("bn1", ssl::nn::SyncBatchNorm2d(spec.width));
  int64_t in_planes = spec.width;
  for (size_t i = 0; i < spec.blocks.size(); ++i) {
    SSL_CHECK(spec.blocks[i] >= 1, "ResNet: stage ", i + 1, " needs at least one block, got ", spec.blocks[i]);
    const int64_t planes = spec.width << i;
    const int64_t stride = i == 0 ? 1 : 2;
    auto stage = spec.bottleneck
                     ? make_stage<Bottleneck>(in_planes, planes, spec.blocks[i], stride, spec.zero_init_residual)
                     : make_stage<BasicBlock>(in_planes, planes, spec.blocks[i], stride, spec.zero_init_residual);
    stages_.push_back(register_module("layer" + std::to_string(i + 1), stage));
  }
  num_features_ = in_planes;
}

at::Tensor ResNet::forward(const at::Tensor& images) {
  SSL_CHECK(images.dim() == 4 && images.size(1) == spec_.in_channels, "ResNet: expected images [N, ", spec_.in_channels,
            ", H, W], got ", images.sizes());
  at::Tensor x = bn1_->forward(conv1_->forward(images)).relu_();
  if (!spec_.cifar_stem) x = at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
  for (auto& stage : stages_) x = stage->forward(x);
  return x.mean({2, 3});  // global average pool; no contiguity assumption
}

sdk::Schema resnet_schema() {
  sdk::Schema s;
  s.add_string("stem", "cifar",
               "\"cifar\": 3x3 conv stride 1, no max-pool (for 28-64 px, as solo-learn on CIFAR); "
               "\"imagenet\": 7x7 stride 2 + max-pool (He et al. 2016)")
      .choices({"cifar", "imagenet"});
  s.add_int("in_channels", 0, "input channels; 0 = those of the training images").min(0);
  s.add_int("width", 64, "channels of the first stage (stage i has width * 2^i); 64 in He et al.").min(1);
  s.add_bool("zero_init_residual", false,
             "start each block's last BN scale at 0 so blocks begin as identity (Goyal et al. 2017)");
  return s;
}

sdk::Schema resnet_small_schema() {
  sdk::Schema s;
  s.add_int("width", 32, "channels of the first stage (stage i has width * 2^i)").min(1);
  s.add_int_list("blocks", {1, 1, 1, 1}, "BasicBlocks per stage (1 to 4 stages)").size(1, 4).min(1);
  s.add_int("in_channels", 0, "input channels; 0 = those of the training images").min(0);
  s.add_int("stem_stride", 1, "stride of the 3x3 stem conv: 2 halves the resolution, about 4x less compute")
      .range(1, 2);
  return s;
}

std::shared_ptr<sdk::Backbone> make_resnet18(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return make_standard(cfg, ctx, false, {2, 2, 2, 2});
}

std::shared_ptr<sdk::Backbone> make_resnet34(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return make_standard(cfg, ctx, false, {3, 4, 6, 3});
}

std::shared_ptr<sdk::Backbone> make_resnet50(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return make_standard(cfg, ctx, true, {3, 4, 6, 3});
}

std::shared_ptr<sdk::Backbone> make_resnet_small(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  ResNetSpec spec;
  spec.bottleneck = false;
  spec.blocks = cfg.get_int_list("blocks");
  spec.width = cfg.get_int("width");
  spec.cifar_stem = true;
  spec.stem_stride = cfg.get_int("stem_stride");
  spec.in_channels = sdk::input_channels(cfg, ctx);
  return std::make_shared<ResNet>(spec);
}

}  // namespace ssl::plugins::backbone_resnet
