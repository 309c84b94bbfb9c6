// dataset_core: IDX and CIFAR parsers on generated fixtures, and the real Fashion-MNIST set.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <fstream>

#include "data_plugins.h"

namespace fs = std::filesystem;
using ssl_test::error_of;
using ssl_test::make_dataset;

namespace {

using Bytes = std::vector<uint8_t>;

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

Bytes idx_images(uint32_t count, uint32_t rows, uint32_t cols, uint32_t magic = 0x803) {
  Bytes b;
  put_be32(b, magic);
  put_be32(b, count);
  put_be32(b, rows);
  put_be32(b, cols);
  for (uint32_t i = 0; i < count * rows * cols; ++i) b.push_back(static_cast<uint8_t>(i * 7 + i / 13));
  return b;
}

Bytes idx_labels(uint32_t count, uint32_t classes = 10) {
  Bytes b;
  put_be32(b, 0x801);
  put_be32(b, count);
  for (uint32_t i = 0; i < count; ++i) b.push_back(static_cast<uint8_t>((i * 3) % classes));
  return b;
}

void write_plain(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void write_gz(const fs::path& p, const Bytes& b) {
  gzFile f = gzopen(p.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  gzclose(f);
}

Bytes read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

ssl_test::Values idx_at(const fs::path& root) { return {{"root", root.string()}, {"split", std::string("train")}}; }

}  // namespace

TEST_CASE("idx reads plain and gzip files with identical pixels and labels", "[dataset_core][idx]") {
  ssl_test::TempDir gz_dir, plain_dir;
  const Bytes images = idx_images(5, 4, 3), labels = idx_labels(5);
  write_gz(gz_dir.path / "train-images-idx3-ubyte.gz", images);
  write_gz(gz_dir.path / "train-labels-idx1-ubyte.gz", labels);
  write_plain(plain_dir.path / "train-images-idx3-ubyte", images);
  write_plain(plain_dir.path / "train-labels-idx1-ubyte", labels);
  auto a = make_dataset("idx", idx_at(gz_dir.path));
  auto b = make_dataset("idx", idx_at(plain_dir.path));
  REQUIRE(a->size() == 5);
  REQUIRE(b->size() == 5);
  const auto info = a->info();
  CHECK(info.channels == 1);
  CHECK(info.height == 4);
  CHECK(info.width == 3);
  CHECK(info.class_names.size() == 10);
  CHECK(info.class_names[3] == "3");  // not a fashion folder: digits
  CHECK(a->labels() == std::vector<int64_t>{0, 3, 6, 9, 2});
  for (int64_t i = 0; i < 5; ++i) {
    const auto sa = a->get(i), sb = b->get(i);
    REQUIRE(sa.image.type() == CV_8UC1);
    CHECK(cv::countNonZero(sa.image != sb.image) == 0);
    CHECK(sa.label == a->labels()[static_cast<size_t>(i)]);
    CHECK(sa.image.at<uint8_t>(1, 2) == images[16 + static_cast<size_t>(i) * 12 + 5]);
  }
}

TEST_CASE("idx resolves a relative root against the pipeline folder and honours split and names", "[dataset_core][idx]") {
  ssl_test::TempDir dir;
  fs::create_directories(dir.path / "data");
  write_plain(dir.path / "data" / "t10k-images-idx3-ubyte", idx_images(2, 2, 2));
  write_plain(dir.path / "data" / "t10k-labels-idx1-ubyte", idx_labels(2));
  write_plain(dir.path / "data" / "mine.idx", idx_images(3, 2, 2));
  write_plain(dir.path / "data" / "mine.lbl", idx_labels(3));
  CHECK(make_dataset("idx", {{"root", std::string("data")}, {"split", std::string("test")}}, dir.path)->size() == 2);
  auto named = make_dataset("idx", {{"root", std::string("data")}, {"images", std::string("mine.idx")},
                                    {"labels", std::string("mine.lbl")},
                                    {"class_names", std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"}}},
                            dir.path);
  CHECK(named->size() == 3);
  CHECK(named->info().class_names[1] == "b");
}

TEST_CASE("idx errors name the file at fault", "[dataset_core][idx]") {
  ssl_test::TempDir dir;
  const fs::path img = dir.path / "train-images-idx3-ubyte", lbl = dir.path / "train-labels-idx1-ubyte";
  auto err = [&] { return error_of([&] { make_dataset("idx", idx_at(dir.path)); }); };

  SECTION("missing image file") {
    const auto e = err();
    CHECK_THAT(e, Catch::Contains("not found") && Catch::Contains("train-images-idx3-ubyte"));
  }
  SECTION("missing label file") {
    write_plain(img, idx_images(2, 2, 2));
    CHECK_THAT(err(), Catch::Contains("label file not found") && Catch::Contains(lbl.string()));
  }
  SECTION("wrong magic") {
    write_plain(img, idx_images(2, 2, 2, 0x0801));
    write_plain(lbl, idx_labels(2));
    CHECK_THAT(err(), Catch::Contains(img.string()) && Catch::Contains("expected 0x00000803") &&
                          Catch::Contains("found 0x00000801"));
  }
  SECTION("truncated images") {
    Bytes b = idx_images(3, 4, 4);
    b.resize(b.size() - 10);
    write_plain(img, b);
    write_plain(lbl, idx_labels(3));
    CHECK_THAT(err(), Catch::Contains("truncated") && Catch::Contains(img.string()) &&
                          Catch::Contains("expected 64 bytes, got 54"));
  }
  SECTION("corrupt gzip stream") {
    const fs::path gz = dir.path / "train-images-idx3-ubyte.gz";
    write_gz(gz, idx_images(50, 8, 8));
    Bytes raw = read_all(gz);
    for (size_t i = 20; i < raw.size() - 12; i += 3) raw[i] ^= 0x5a;
    write_plain(gz, raw);
    write_plain(lbl, idx_labels(50));
    CHECK_THAT(err(), Catch::Contains("gzip error") && Catch::Contains(gz.string()));
  }
  SECTION("gzip cut short") {
    const fs::path gz = dir.path / "train-images-idx3-ubyte.gz";
    write_gz(gz, idx_images(50, 8, 8));
    Bytes raw = read_all(gz);
    raw.resize(raw.size() / 2);
    write_plain(gz, raw);
    write_plain(lbl, idx_labels(50));
    CHECK_THAT(err(), Catch::Contains("gzip error") && Catch::Contains(gz.string()));
  }
  SECTION("image/label count mismatch") {
    write_plain(img, idx_images(4, 2, 2));
    write_plain(lbl, idx_labels(3));
    CHECK_THAT(err(), Catch::Contains("count mismatch") && Catch::Contains(img.string()) &&
                          Catch::Contains(lbl.string()) && Catch::Contains("4 images"));
  }
  SECTION("label out of range of the class names") {
    write_plain(img, idx_images(4, 2, 2));
    write_plain(lbl, idx_labels(4));  // labels 0 3 6 9
    const auto e = error_of([&] {
      make_dataset("idx", {{"root", dir.path.string()},
                           {"class_names", std::vector<std::string>{"a", "b", "c", "d"}}});
    });
    CHECK_THAT(e, Catch::Contains("out of range") && Catch::Contains(lbl.string()) && Catch::Contains("index 2"));
  }
}

namespace {
// CIFAR record: label byte(s), then 1024 R, 1024 G, 1024 B. Pixel value encodes (record, plane).
Bytes cifar_records(int count, int label_bytes, int first_label) {
  Bytes b;
  for (int r = 0; r < count; ++r) {
    for (int l = 0; l < label_bytes; ++l) b.push_back(static_cast<uint8_t>((first_label + r + 7 * l) % 10));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p) b.push_back(static_cast<uint8_t>(r * 30 + c * 10 + (p == 33 ? 1 : 0)));
  }
  return b;
}
}  // namespace

TEST_CASE("cifar10 reads the five train batches and converts planar data to interleaved RGB", "[dataset_core][cifar]") {
  ssl_test::TempDir dir;
  const fs::path folder = dir.path / "cifar-10-batches-bin";
  fs::create_directories(folder);
  for (int b = 1; b <= 5; ++b) write_plain(folder / ("data_batch_" + std::to_string(b) + ".bin"), cifar_records(2, 1, b));
  write_plain(folder / "test_batch.bin", cifar_records(3, 1, 0));
  auto train = make_dataset("cifar", {{"root", dir.path.string()}});
  auto test = make_dataset("cifar", {{"root", folder.string()}, {"split", std::string("test")}});
  REQUIRE(train->size() == 10);
  REQUIRE(test->size() == 3);
  CHECK(train->info().class_names[0] == "airplane");
  CHECK(train->labels() == std::vector<int64_t>{1, 2, 2, 3, 3, 4, 4, 5, 5, 6});
  const auto s = test->get(1);
  REQUIRE(s.image.type() == CV_8UC3);
  REQUIRE(s.image.rows == 32);
  CHECK(s.image.at<cv::Vec3b>(0, 0) == cv::Vec3b(30, 40, 50));  // R, G, B planes of record 1
  CHECK(s.image.at<cv::Vec3b>(1, 1) == cv::Vec3b(31, 41, 51));  // plane offset 33 = row 1, col 1
}

TEST_CASE("cifar100 picks the fine or coarse label byte", "[dataset_core][cifar]") {
  ssl_test::TempDir dir;
  write_plain(dir.path / "train.bin", cifar_records(4, 2, 0));  // coarse = r, fine = r + 7
  auto fine = make_dataset("cifar", {{"root", dir.path.string()}, {"variant", std::string("cifar100")}});
  auto coarse = make_dataset("cifar", {{"root", dir.path.string()}, {"variant", std::string("cifar100")},
                                       {"label", std::string("coarse")}});
  CHECK(fine->labels() == std::vector<int64_t>{7, 8, 9, 0});
  CHECK(coarse->labels() == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(fine->info().num_classes == 100);
  CHECK(coarse->info().num_classes == 20);
}

TEST_CASE("cifar errors name the missing or malformed file", "[dataset_core][cifar]") {
  ssl_test::TempDir dir;
  for (int b = 1; b <= 5; ++b)
    if (b != 3) write_plain(dir.path / ("data_batch_" + std::to_string(b) + ".bin"), cifar_records(1, 1, 0));
  CHECK_THAT(error_of([&] { make_dataset("cifar", {{"root", dir.path.string()}}); }),
             Catch::Contains("missing file") && Catch::Contains("data_batch_3.bin"));
  Bytes odd = cifar_records(2, 1, 0);
  odd.pop_back();
  write_plain(dir.path / "test_batch.bin", odd);
  CHECK_THAT(error_of([&] { make_dataset("cifar", {{"root", dir.path.string()}, {"split", std::string("test")}}); }),
             Catch::Contains("test_batch.bin") && Catch::Contains("multiple of the 3073-byte record"));
}

TEST_CASE("the real Fashion-MNIST set loads with the published sizes and labels", "[dataset_core][idx][real]") {
  const fs::path root = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(root / "train-images-idx3-ubyte.gz") && !fs::exists(root / "train-images-idx3-ubyte")) {
    WARN("Fashion-MNIST not installed at " << root << "; nothing to check");
    return;
  }
  auto train = make_dataset("idx", {});  // the defaults point at this folder
  auto test = make_dataset("idx", {{"split", std::string("test")}});
  REQUIRE(train->size() == 60000);
  REQUIRE(test->size() == 10000);
  const auto info = train->info();
  CHECK(info.class_names.front() == "T-shirt/top");
  CHECK(info.class_names.back() == "Ankle boot");
  std::vector<int64_t> counts(10, 0);
  for (int64_t l : train->labels()) {
    REQUIRE(l >= 0);
    REQUIRE(l < 10);
    ++counts[static_cast<size_t>(l)];
  }
  CHECK(counts == std::vector<int64_t>(10, 6000));
  const auto s = test->get(9999);
  CHECK(s.image.type() == CV_8UC1);
  CHECK(s.image.rows == 28);
  CHECK(s.image.cols == 28);
  CHECK(cv::mean(train->get(0).image)[0] > 0.0);
}
