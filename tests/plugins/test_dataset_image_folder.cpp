// dataset_core: image_folder layouts and error handling on generated PNG fixtures.
#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

#include "data_plugins.h"
#include "ssl/sdk/log.h"

namespace fs = std::filesystem;
using ssl_test::error_of;
using ssl_test::make_dataset;

namespace {

// Writes an RGB image to disk (OpenCV writes BGR) and returns the RGB pixels.
cv::Mat write_rgb_png(const fs::path& p, uint8_t r, uint8_t g, uint8_t b, int side = 6) {
  fs::create_directories(p.parent_path());
  cv::Mat rgb(side, side, CV_8UC3, cv::Scalar(r, g, b));
  rgb.at<cv::Vec3b>(0, 0) = cv::Vec3b(1, 2, 3);
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  REQUIRE(cv::imwrite(p.string(), bgr));
  return rgb;
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

ssl_test::Values folder_cfg(const fs::path& root, const std::string& layout = "classes",
                    const std::string& on_error = "fail") {
  return {{"root", root.string()}, {"layout", layout}, {"on_error", on_error}};
}

// Captures warnings for the lifetime of the object.
struct WarningCapture {
  std::vector<std::string> lines;
  WarningCapture() {
    ssl::sdk::set_log_sink([this](ssl::sdk::LogLevel level, const std::string& m) {
      if (level == ssl::sdk::LogLevel::Warning) lines.push_back(m);
    });
  }
  ~WarningCapture() { ssl::sdk::set_log_sink(nullptr); }
};

}  // namespace

TEST_CASE("image_folder class layout sorts classes by name and decodes to RGB", "[dataset_core][image_folder]") {
  ssl_test::TempDir dir;
  const cv::Mat zebra = write_rgb_png(dir.path / "zebra" / "z1.png", 200, 10, 30);
  write_rgb_png(dir.path / "ant" / "a1.png", 5, 100, 250);
  write_rgb_png(dir.path / "ant" / "sub" / "a2.PNG", 5, 100, 250);
  write_text(dir.path / "ant" / "notes.txt", "not an image");
  auto ds = make_dataset("image_folder", folder_cfg(dir.path));
  REQUIRE(ds->size() == 3);
  const auto info = ds->info();
  CHECK(info.class_names == std::vector<std::string>{"ant", "zebra"});
  CHECK(info.channels == 3);
  CHECK(ds->labels() == std::vector<int64_t>{0, 0, 1});
  const auto s = ds->get(2);
  CHECK(s.label == 1);
  REQUIRE(s.image.type() == CV_8UC3);
  CHECK(cv::norm(s.image, zebra, cv::NORM_INF) == 0);
}

TEST_CASE("image_folder expands grayscale files to 3 channels unless channels is 1", "[dataset_core][image_folder]") {
  ssl_test::TempDir dir;
  cv::Mat gray(4, 5, CV_8UC1, cv::Scalar(77));
  REQUIRE(cv::imwrite((dir.path / "g.png").string(), gray));
  write_rgb_png(dir.path / "c.png", 255, 0, 0);
  auto rgb = make_dataset("image_folder", folder_cfg(dir.path, "flat"));
  REQUIRE(rgb->size() == 2);
  CHECK(rgb->labels() == std::vector<int64_t>{-1, -1});
  const auto g3 = rgb->get(1).image;
  REQUIRE(g3.type() == CV_8UC3);
  CHECK(g3.at<cv::Vec3b>(2, 2) == cv::Vec3b(77, 77, 77));
  auto values = folder_cfg(dir.path, "flat");
  values["channels"] = int64_t{1};
  auto one = make_dataset("image_folder", values);
  CHECK(one->get(0).image.type() == CV_8UC1);
  CHECK(one->info().channels == 1);
  CHECK(one->get(0).image.at<uint8_t>(1, 1) == 76);  // pure red in ITU-R 601 luma: 0.299 * 255
}

TEST_CASE("image_folder manifest resolves paths against its folder and skips comments", "[dataset_core][image_folder]") {
  ssl_test::TempDir dir;
  write_rgb_png(dir.path / "img" / "a.png", 1, 1, 1);
  write_rgb_png(dir.path / "img" / "b.png", 2, 2, 2);
  write_text(dir.path / "list.txt", "# header\n\nimg/a.png, cat\nimg/b.png,dog  # trailing\nimg/a.png,cat\n");
  auto ds = make_dataset("image_folder", folder_cfg(dir.path / "list.txt", "manifest"));
  REQUIRE(ds->size() == 3);
  CHECK(ds->labels() == std::vector<int64_t>{0, 1, 0});
  CHECK(ds->info().class_names == std::vector<std::string>{"cat", "dog"});
  write_text(dir.path / "ints.txt", "img/a.png,3\nimg/b.png,1\n");
  auto ints = make_dataset("image_folder", folder_cfg(dir.path / "ints.txt", "manifest"));
  CHECK(ints->labels() == std::vector<int64_t>{3, 1});
  CHECK(ints->info().num_classes == 4);
}

TEST_CASE("image_folder errors name the folder, manifest line or image at fault", "[dataset_core][image_folder]") {
  ssl_test::TempDir dir;
  SECTION("empty class folder") {
    write_rgb_png(dir.path / "a" / "x.png", 1, 2, 3);
    fs::create_directories(dir.path / "b_empty");
    CHECK_THAT(error_of([&] { make_dataset("image_folder", folder_cfg(dir.path)); }),
               Catch::Contains("empty class folder") && Catch::Contains("b_empty"));
  }
  SECTION("manifest line pointing nowhere") {
    write_rgb_png(dir.path / "ok.png", 1, 2, 3);
    write_text(dir.path / "m.txt", "ok.png,0\n# c\nmissing.png,1\n");
    CHECK_THAT(error_of([&] { make_dataset("image_folder", folder_cfg(dir.path / "m.txt", "manifest")); }),
               Catch::Contains((dir.path / "m.txt").string() + ":3") && Catch::Contains("missing.png"));
  }
  SECTION("a manifest label too large to be a class index") {
    // Found by fuzz_image_folder: label 601111111 made the dataset list 601 million class names.
    write_rgb_png(dir.path / "ok.png", 1, 2, 3);
    write_text(dir.path / "m.txt", "ok.png,3\nok.png, 601111111\n");
    CHECK_THAT(error_of([&] { make_dataset("image_folder", folder_cfg(dir.path / "m.txt", "manifest")); }),
               Catch::Contains((dir.path / "m.txt").string() + ":2: label 601111111 is above the largest class index 99999"));
    write_text(dir.path / "top.txt", "ok.png,99999\n");
    CHECK(make_dataset("image_folder", folder_cfg(dir.path / "top.txt", "manifest"))->labels() ==
          std::vector<int64_t>{99999});
  }
  SECTION("corrupt and zero-size images fail when read") {
    write_rgb_png(dir.path / "good.png", 1, 2, 3);
    write_text(dir.path / "corrupt.png", "\x89PNG\r\n\x1a\n this is not a png body");
    write_text(dir.path / "zero.png", "");
    auto ds = make_dataset("image_folder", folder_cfg(dir.path, "flat"));
    REQUIRE(ds->size() == 3);  // sorted: corrupt, good, zero
    CHECK_THAT(error_of([&] { ds->get(0); }), Catch::Contains("cannot decode") && Catch::Contains("corrupt.png: unreadable or corrupt"));
    CHECK_THAT(error_of([&] { ds->get(2); }), Catch::Contains("zero.png: zero-size file"));
    CHECK(ds->get(1).image.rows == 6);
  }
  SECTION("no images at all") {
    fs::create_directories(dir.path / "nothing");
    CHECK_THAT(error_of([&] { make_dataset("image_folder", folder_cfg(dir.path / "nothing", "flat")); }),
               Catch::Contains("no images found") && Catch::Contains("nothing"));
    CHECK_THAT(error_of([&] { make_dataset("image_folder", folder_cfg(dir.path / "absent")); }),
               Catch::Contains("folder not found") && Catch::Contains("absent"));
  }
}

TEST_CASE("image_folder with on_error skip drops bad images with one warning", "[dataset_core][image_folder]") {
  ssl_test::TempDir dir;
  write_rgb_png(dir.path / "a" / "good1.png", 1, 2, 3);
  write_text(dir.path / "a" / "corrupt.png", "garbage");
  write_text(dir.path / "b" / "zero.png", "");
  write_rgb_png(dir.path / "b" / "good2.png", 9, 9, 9);
  WarningCapture warnings;
  auto ds = make_dataset("image_folder", folder_cfg(dir.path, "classes", "skip"));
  REQUIRE(ds->size() == 2);
  CHECK(ds->labels() == std::vector<int64_t>{0, 1});
  CHECK(ds->info().height == 6);  // every kept image was decoded and all agree
  REQUIRE(warnings.lines.size() == 1);
  CHECK_THAT(warnings.lines[0], Catch::Contains("skipped 2 of 4"));
  CHECK(ds->get(1).image.at<cv::Vec3b>(3, 3) == cv::Vec3b(9, 9, 9));
}
