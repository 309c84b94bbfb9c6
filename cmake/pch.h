// The one precompiled header shared by every torch-heavy target (see CMakeLists.txt).
// Only third-party headers belong here: our own headers change too often.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
