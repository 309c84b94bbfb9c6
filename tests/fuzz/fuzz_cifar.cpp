// libFuzzer target: the CIFAR binary reader (`cifar` dataset, test split). Input: [variant
// byte: bit 0 cifar100, bit 1 coarse labels][u16 length][CIFAR-100 label-names file][batch file].
#include "datasets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& dir = ssl::fuzz::scratch("cifar");
  const bool is100 = (data[0] & 1) != 0, coarse = (data[0] & 2) != 0;
  const ssl::fuzz::TwoParts parts = ssl::fuzz::split_two(data + 1, size - 1);
  std::filesystem::remove(dir / "test.bin");
  std::filesystem::remove(dir / "test_batch.bin");
  ssl::fuzz::write_text(dir / (coarse ? "coarse_label_names.txt" : "fine_label_names.txt"), parts.first);
  ssl::fuzz::write_text(dir / (is100 ? "test.bin" : "test_batch.bin"), parts.second);
  ssl::fuzz::build_and_read("cifar", {{"root", dir.string()},
                                      {"split", std::string("test")},
                                      {"variant", std::string(is100 ? "cifar100" : "cifar10")},
                                      {"label", std::string(coarse ? "coarse" : "fine")}});
  return 0;
}
