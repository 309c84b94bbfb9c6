// libFuzzer target: the IDX reader (`idx` dataset). Input: [u16 length][label file][image
// file], both written under their standard names (gzip is detected from the content).
#include "datasets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& dir = ssl::fuzz::scratch("idx");
  const ssl::fuzz::TwoParts parts = ssl::fuzz::split_two(data, size);
  ssl::fuzz::write_text(dir / "t10k-labels-idx1-ubyte", parts.first);
  ssl::fuzz::write_text(dir / "t10k-images-idx3-ubyte", parts.second);
  ssl::fuzz::build_and_read("idx", {{"root", dir.string()}, {"split", std::string("test")}});
  return 0;
}
