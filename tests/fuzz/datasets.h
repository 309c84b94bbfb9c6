#pragma once
// The dataset_core components, built as the host builds them (schema defaults and checks
// first), for the dataset fuzz targets; and the walk over a built dataset every target does.
#include <algorithm>
#include <memory>
#include <string>

#include "fuzz_util.h"
#include "spec_store.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"

SSL_PLUGIN_DECLARE_STATIC(dataset_core);

namespace ssl::fuzz {

inline std::shared_ptr<sdk::Dataset> build_dataset(const std::string& type, const test::Values& values) {
  static const test::SpecStore store{ssl_static_plugin_info_dataset_core()};
  return store.build<sdk::Dataset>(sdk::Kind::Dataset, type, values);
}

// Builds the dataset and reads its metadata and first samples; a clear error is fine.
inline void build_and_read(const std::string& type, const test::Values& values) {
  try {
    const auto dataset = build_dataset(type, values);
    const sdk::DatasetInfo info = dataset->info();
    (void)info;
    (void)dataset->labels();
    const int64_t n = std::min<int64_t>(dataset->size(), 16);
    for (int64_t i = 0; i < n; ++i) (void)dataset->get(i);
  } catch (const sdk::Error& e) {
    expect_message(e.what());
  }
}

}  // namespace ssl::fuzz
