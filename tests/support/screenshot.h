#pragma once
// Looking at a page as a user would: headless Chromium renders it, and the screenshot shows
// whether its pictures are visible. To tell pictures from the rest, the page is first copied
// with a style that hides everything but <img> (text transparent, no borders, backgrounds,
// SVG plots or <pre>): what is not white in that screenshot can only be an image.
#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include "run_host.h"

namespace ssl::test {

inline bool have_chromium() { return std::filesystem::exists("/usr/bin/chromium"); }

// Screenshot of `page` (a file) at width x height; "" on success, else the error.
inline std::string chromium_screenshot(const std::filesystem::path& page, const std::filesystem::path& png,
                                       const std::filesystem::path& work, int width = 1280, int height = 2400) {
  auto c = run_command("timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                       "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
                       shell_quote((work / "chromium").string()) + " --screenshot=" + shell_quote(png.string()) +
                       " --window-size=" + std::to_string(width) + "," + std::to_string(height) + " " +
                       shell_quote("file://" + page.string()));
  if (c.code != 0 || !std::filesystem::exists(png)) return "chromium failed (" + std::to_string(c.code) + "): " + c.err;
  return "";
}

// The area (width x height attributes) of the page's <img> elements, in CSS pixels.
inline long declared_image_area(const std::string& html) {
  static const std::regex kImg(R"re(<img [^>]*width="(\d+)" height="(\d+)")re");
  long area = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kImg); it != std::sregex_iterator(); ++it)
    area += std::stol((*it)[1]) * std::stol((*it)[2]);
  return area;
}

// Non-white pixels of the page rendered with everything but images hidden; -1 when it could
// not be rendered (`error` says why).
inline long visible_image_pixels(const std::string& html, const std::filesystem::path& work, std::string& error,
                                 int height = 2400) {
  const std::string hide =
      "<style>*{color:transparent!important;background:#fff!important;border-color:#fff!important;"
      "outline:none!important;text-shadow:none!important}svg,pre{display:none!important}</style></head>";
  std::string masked = html;
  const auto head = masked.find("</head>");
  if (head == std::string::npos) { error = "no </head> in the page"; return -1; }
  masked.replace(head, 7, hide);
  std::filesystem::create_directories(work);
  const auto page = work / "masked.html", png = work / "masked.png";
  std::ofstream(page) << masked;
  error = chromium_screenshot(page, png, work, 1280, height);
  if (!error.empty()) return -1;
  const cv::Mat shot = cv::imread(png.string(), cv::IMREAD_COLOR);
  if (shot.empty()) { error = "the screenshot does not decode"; return -1; }
  cv::Mat nonwhite;
  cv::compare(shot.reshape(1, shot.rows * shot.cols), 250, nonwhite, cv::CMP_LT);
  cv::Mat any;
  cv::reduce(nonwhite, any, 1, cv::REDUCE_MAX);
  return cv::countNonZero(any);
}

// The pictures of `html` are visible: most of their declared area is not white once
// everything else is hidden, and a copy with broken images is (nearly) white.
inline void check_images_visible(const std::string& html, const std::filesystem::path& work) {
  if (!have_chromium()) {
    WARN("no /usr/bin/chromium: the pictures were not rendered");
    return;
  }
  const long area = declared_image_area(html);
  REQUIRE(area > 0);
  std::string error;
  const long shown = visible_image_pixels(html, work / "ok", error, 3000);
  INFO(error);
  REQUIRE(shown >= 0);
  CHECK(shown > area / 2);
  std::string broken = html;
  for (size_t p = broken.find("base64,"); p != std::string::npos; p = broken.find("base64,", p + 1))
    broken.replace(p, 7, "base64,AAAA");
  const long none = visible_image_pixels(broken, work / "broken", error, 3000);
  REQUIRE(none >= 0);
  CHECK(none < area / 5);
}

}  // namespace ssl::test
