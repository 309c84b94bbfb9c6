#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <filesystem>
#include <fstream>

#include "atomic_file.h"
#include "checkpoint.h"

using namespace ssl::host;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("ssl_ckpt_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST_CASE("a checkpoint round-trips position, model and optimizer state") {
  const fs::path d = temp_dir("roundtrip");
  Checkpoint c;
  c.position = {3, 120, 7};
  c.model = {{"backbone.w", at::arange(6, at::kFloat).view({2, 3})}, {"queue.ptr", at::tensor(int64_t{5})}};
  c.optimizer = {{"steps", at::tensor(int64_t{120})}};
  save_checkpoint(d / "a.ckpt", c);
  Checkpoint r = load_checkpoint(d / "a.ckpt");
  CHECK(r.position.epoch == 3);
  CHECK(r.position.step == 120);
  CHECK(r.position.step_in_epoch == 7);
  REQUIRE(r.model.size() == 2);
  CHECK(r.model[0].first == "backbone.w");
  CHECK(at::equal(r.model[0].second, c.model[0].second));
  CHECK(r.model[1].second.item<int64_t>() == 5);
  CHECK(fs::directory_iterator(d) != fs::directory_iterator());
  for (const auto& e : fs::directory_iterator(d)) CHECK(e.path().filename().string()[0] != '.');  // no temp left
}

TEST_CASE("a truncated checkpoint is a clear error and never a crash") {
  const fs::path d = temp_dir("truncated");
  save_tensors(d / "t.pt", {{"w", at::ones({100})}});
  const auto size = fs::file_size(d / "t.pt");
  fs::resize_file(d / "t.pt", size / 2);
  CHECK_THROWS_WITH(load_tensors(d / "t.pt"), Catch::Contains("is not a readable tensor file"));
  std::ofstream(d / "text.ckpt") << "hello";
  CHECK_THROWS_WITH(load_checkpoint(d / "text.ckpt"), Catch::Contains("text.ckpt"));
  CHECK_THROWS_WITH(load_checkpoint(d / "missing.ckpt"), Catch::Contains("cannot open"));
}

TEST_CASE("tensor files are sealed: no damaged or unsealed byte reaches LibTorch's reader") {
  const fs::path d = temp_dir("sealed");
  save_tensors(d / "t.pt", {{"w", at::arange(64, at::kFloat)}});
  std::vector<char> bytes = read_file(d / "t.pt");
  const std::string tail(bytes.end() - 23, bytes.end());
  CHECK(tail.rfind("ssl-host crc32 ", 0) == 0);
  CHECK(at::equal(load_tensors(d / "t.pt").at(0).second, at::arange(64, at::kFloat)));
  // One flipped bit anywhere, in the archive's data or in its directory, is refused by the seal.
  for (const size_t at : {size_t{40}, bytes.size() / 2, bytes.size() - 30}) {
    std::vector<char> flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    write_file_atomic(d / "flipped.pt", flipped);
    INFO(at);
    CHECK_THROWS_WITH(load_tensors(d / "flipped.pt"), Catch::Contains("is damaged: its contents do not match the checksum"));
  }
  // The archive LibTorch wrote, without the seal (the zip comment length zeroed): not read.
  std::vector<char> bare(bytes.begin(), bytes.end() - 23);
  bare[bare.size() - 2] = bare[bare.size() - 1] = 0;
  write_file_atomic(d / "bare.pt", bare);
  CHECK_THROWS_WITH(load_tensors(d / "bare.pt"), Catch::Contains("does not end with ssl-host's checksum record"));
  // A seal whose digits are not hexadecimal.
  std::vector<char> garbled = bytes;
  garbled.back() = 'z';
  write_file_atomic(d / "garbled.pt", garbled);
  CHECK_THROWS_WITH(load_tensors(d / "garbled.pt"), Catch::Contains("not hexadecimal"));
}

TEST_CASE("writing into a missing or read-only place fails cleanly and keeps the old file") {
  const fs::path d = temp_dir("readonly");
  write_file_atomic(d / "f.bin", {'a', 'b'});
  CHECK_THROWS_WITH(write_file_atomic("/proc/ssl_host_cannot_write_here/f.bin", {'x'}), Catch::Contains("cannot"));
  CHECK(read_file(d / "f.bin") == std::vector<char>{'a', 'b'});
}

TEST_CASE("module state loads only into a matching module") {
  torch::nn::Linear a(3, 2), b(3, 2), c(4, 2);
  load_module_state(*b, module_state(*a), "a");
  CHECK(at::equal(a->weight, b->weight));
  CHECK_THROWS_WITH(load_module_state(*c, module_state(*a), "ckpt"),
                    Catch::Contains("ckpt does not match the model") && Catch::Contains("'weight' has shape [2, 3]"));
}

TEST_CASE("the checkpoint folder keeps the newest K files") {
  const fs::path d = temp_dir("prune");
  CheckpointDir dir(d);
  for (int64_t s : {10, 20, 30}) save_tensors(dir.path_for({0, s, 0}), {{"w", at::ones({1})}});
  dir.prune(2);
  CHECK(dir.latest().filename() == "step_000000030.ckpt");
  CHECK_FALSE(fs::exists(dir.path_for({0, 10, 0})));
  CHECK(fs::exists(dir.path_for({0, 20, 0})));
}

namespace {
// Flips one bit of the byte at `offset` (a fraction of the file's size).
void flip_bit(const fs::path& file, double where) {
  std::vector<char> bytes = read_file(file);
  const auto offset = static_cast<size_t>(static_cast<double>(bytes.size()) * where);
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x10);
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Checkpoint big_checkpoint(int64_t step) {
  Checkpoint c;
  c.position = {1, step, 0};
  c.model = {{"w", at::arange(20000, at::kFloat)}};  // the tensor bytes are most of the file
  return c;
}
}  // namespace

TEST_CASE("a checkpoint with one flipped bit is refused as damaged, naming the file") {
  const fs::path d = temp_dir("bitflip");
  for (const double where : {0.3, 0.5, 0.9}) {
    save_checkpoint(d / "c.ckpt", big_checkpoint(8));
    flip_bit(d / "c.ckpt", where);
    INFO("flipped at " << where);
    CHECK_THROWS_WITH(load_checkpoint(d / "c.ckpt"),
                      Catch::Contains("c.ckpt") && (Catch::Contains("is damaged") || Catch::Contains("corrupt")) &&
                          !Catch::Contains("Exception raised from"));
  }
}

TEST_CASE("the newest intact checkpoint is chosen, damaged newer ones leave the rotation") {
  const fs::path d = temp_dir("intact");
  CheckpointDir dir(d);
  for (int64_t s : {8, 16}) save_checkpoint(dir.path_for({0, s, 0}), big_checkpoint(s));
  CHECK(dir.load_newest_intact().checkpoint.position.step == 16);
  flip_bit(dir.path_for({0, 16, 0}), 0.5);
  const CheckpointDir::Intact found = dir.load_newest_intact();
  CHECK(found.checkpoint.position.step == 8);
  CHECK(found.path.filename() == "step_000000008.ckpt");
  REQUIRE(found.damaged.size() == 1);
  CHECK_THAT(found.damaged[0].why, Catch::Contains("step_000000016.ckpt"));
  CHECK(fs::exists(d / "step_000000016.ckpt.damaged"));
  CHECK(dir.latest().filename() == "step_000000008.ckpt");
  // None intact: the error names every damaged file.
  flip_bit(dir.path_for({0, 8, 0}), 0.5);
  CHECK_THROWS_WITH(dir.load_newest_intact(),
                    Catch::Contains("no intact checkpoint") && Catch::Contains("step_000000008.ckpt"));
}
