// docs/writing_a_method.md shows the example's real code: every block marked
// <!-- snippet: PATH --> must appear verbatim in PATH.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "run_host.h"

namespace {

std::string read(const std::string& path) { return ssl::test::slurp(path); }

struct Snippet {
  std::string file;
  std::string code;
  int line = 0;
};

// The fenced block after each "<!-- snippet: PATH -->" line.
std::vector<Snippet> snippets(const std::string& markdown) {
  std::vector<Snippet> out;
  std::istringstream in(markdown);
  std::string line, marker = "<!-- snippet: ";
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind(marker, 0) != 0) continue;
    Snippet s;
    s.line = number;
    s.file = line.substr(marker.size(), line.find(" -->") - marker.size());
    std::getline(in, line);
    ++number;
    REQUIRE(line.rfind("```", 0) == 0);
    while (std::getline(in, line) && line.rfind("```", 0) != 0) {
      ++number;
      s.code += line + "\n";
    }
    ++number;
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("every code block of the method tutorial is the example's real code") {
  const std::string root = SSL_TEST_SOURCE_DIR;
  const auto found = snippets(read(root + "/docs/writing_a_method.md"));
  REQUIRE(found.size() >= 6);
  for (const auto& s : found) {
    INFO("docs/writing_a_method.md:" << s.line << " shows " << s.file);
    const std::string source = read(root + "/" + s.file);
    REQUIRE(!source.empty());
    CHECK(source.find(s.code) != std::string::npos);
  }
}

TEST_CASE("the tutorial's line counts are the files' line counts") {
  const std::string root = SSL_TEST_SOURCE_DIR;
  const std::string doc = read(root + "/docs/writing_a_method.md");
  auto lines = [&](const std::string& path) {
    const std::string text = read(root + "/" + path);
    return std::to_string(std::count(text.begin(), text.end(), '\n'));
  };
  CHECK_THAT(doc, Catch::Contains("`wc -l examples/method_dcl/dcl.cpp` counts " + lines("examples/method_dcl/dcl.cpp") +
                                  " lines"));
  CHECK_THAT(doc, Catch::Contains("(`plugins/method_contrastive/simclr.cpp`) is " +
                                  lines("plugins/method_contrastive/simclr.cpp") + " lines"));
}
