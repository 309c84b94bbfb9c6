// The documentation in the tree stays true: the committed component reference is what the
// code prints, every relative Markdown link resolves, and nothing cites files outside the tree.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "run_host.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {

const char* kRegenerate = "./build/bin/ssl-host describe --markdown --output docs/components.md";

// ssl-host with only the build tree's plugins, whatever the caller's SSL_PLUGIN_PATH.
CommandResult run_host_in_tree(const std::string& args) {
  return run_command("env -u SSL_PLUGIN_PATH " + shell_quote(host_binary()) + " " + args);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// "line N: committed '...', generated '...'" for the first line that differs.
std::string first_difference(const std::string& committed, const std::string& generated) {
  const auto a = lines_of(committed), b = lines_of(generated);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "<end of file>", y = i < b.size() ? b[i] : "<end of output>";
    if (x != y) return "line " + std::to_string(i + 1) + ": committed '" + x + "', generated '" + y + "'";
  }
  return "the files differ only in the final newline";
}

// Folders of the source tree that hold no documentation of ours: version control, build
// trees (wherever they are), run outputs.
bool skipped_dir(const fs::path& dir) {
  const std::string name = dir.filename().string();
  return name == ".git" || name == "runs" || fs::exists(dir / "CMakeCache.txt");
}

std::vector<fs::path> tree_files(const std::set<std::string>& extensions, const std::set<std::string>& names) {
  std::vector<fs::path> out;
  const fs::path root = source_dir();
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory()) {
      if (skipped_dir(it->path())) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    const auto& p = it->path();
    if (extensions.count(p.extension().string()) || names.count(p.filename().string())) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string in_tree(const fs::path& p) { return fs::relative(p, source_dir()).string(); }

// The targets of inline links and images, `[text](target)`, outside fenced code blocks and
// inline code spans; each with its 1-based line.
std::vector<std::pair<int, std::string>> link_targets(const std::string& markdown) {
  static const std::regex link(R"(\]\(\s*<?([^)\s>]+)>?(\s+"[^"]*")?\s*\))");
  std::vector<std::pair<int, std::string>> out;
  bool fenced = false;
  int number = 0;
  for (const auto& raw : lines_of(markdown)) {
    ++number;
    const auto first = raw.find_first_not_of(" \t");
    if (first != std::string::npos && (raw.compare(first, 3, "```") == 0 || raw.compare(first, 3, "~~~") == 0)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    std::string line;  // the line without its code spans
    bool in_code = false;
    for (char c : raw) {
      if (c == '`') in_code = !in_code;
      else if (!in_code) line += c;
    }
    for (auto m = std::sregex_iterator(line.begin(), line.end(), link); m != std::sregex_iterator(); ++m) {
      out.emplace_back(number, (*m)[1].str());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the committed docs/components.md is what describe --markdown prints now") {
  const auto r = run_host_in_tree("describe --markdown");
  REQUIRE(r.code == 0);
  const fs::path committed = fs::path(source_dir()) / "docs" / "components.md";
  REQUIRE(fs::exists(committed));
  const std::string text = slurp(committed);
  INFO("docs/components.md is stale (" << first_difference(text, r.out) << ").\nRegenerate it after a fresh build, from "
                                       << "the source folder:\n  " << kRegenerate);
  const bool up_to_date = text == r.out;  // not CHECK(text == r.out): that would print both files
  CHECK(up_to_date);
}

TEST_CASE("describe --markdown documents every listed component once and every host section") {
  const auto r = run_host_in_tree("describe --markdown");
  REQUIRE(r.code == 0);
  const auto listed = run_host_in_tree("list");
  REQUIRE(listed.code == 0);
  const auto lines = lines_of(r.out);
  int components = 0;
  for (const auto& row : lines_of(listed.out)) {
    const std::string id = row.substr(0, row.find(' '));
    const std::string heading = "### `" + id + "`";
    INFO(id);
    CHECK(std::count(lines.begin(), lines.end(), heading) == 1);
    ++components;
  }
  CHECK(components >= 20);
  for (const char* heading : {"### Top level", "### `[data]`", "### `[[views]]`", "### `[optimizer]`", "### `[schedule]`",
                              "### `[trainer]`", "### `[alarms]`"}) {
    INFO(heading);
    CHECK(std::count(lines.begin(), lines.end(), std::string(heading)) == 1);
  }
  // A key row of SimCLR: key, type, default, range, doc.
  CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
    return line.rfind("| `temperature` | float | `0.2` | > 0 | ", 0) == 0 && line.size() > 45 && line.back() == '|';
  }));
  // Every in-page link points at a heading of the page.
  std::set<std::string> anchors;
  for (const auto& line : lines) {
    if (line.rfind("#", 0) != 0) continue;
    std::string anchor;
    for (char c : line.substr(line.find(' ') + 1)) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') anchor += static_cast<char>(std::tolower(c));
      else if (c == ' ') anchor += '-';
    }
    anchors.insert(anchor);
  }
  static const std::regex in_page(R"(\]\(#([^)]+)\))");
  for (auto m = std::sregex_iterator(r.out.begin(), r.out.end(), in_page); m != std::sregex_iterator(); ++m) {
    INFO("link to #" << (*m)[1].str());
    CHECK(anchors.count((*m)[1].str()) == 1);
  }
  // Nothing that changes from one machine or one day to the next.
  CHECK_THAT(r.out, !Catch::Contains(source_dir()) && !Catch::Contains(std::string(SSL_TEST_BINARY_DIR)));
}

TEST_CASE("describe --markdown --output writes the reference to a file, and prints one component or the host sections alone") {
  const fs::path d = scratch_dir("docs_output");
  const auto to_stdout = run_host_in_tree("describe --markdown");
  const auto to_file = run_host_in_tree("describe --markdown --output " + shell_quote((d / "components.md").string()));
  REQUIRE(to_file.code == 0);
  CHECK(slurp(d / "components.md") == to_stdout.out);
  CHECK(to_file.out.empty());

  const auto one = run_host_in_tree("describe method/simclr --markdown");
  REQUIRE(one.code == 0);
  CHECK(one.out.rfind("### `method/simclr`\n", 0) == 0);
  CHECK_THAT(to_stdout.out, Catch::Contains(one.out));
  const auto host = run_host_in_tree("describe pipeline --markdown");
  REQUIRE(host.code == 0);
  CHECK_THAT(host.out, Catch::Contains("### `[optimizer]`") && Catch::Contains("| `warmup_epochs` | float |"));

  CHECK(run_host_in_tree("describe --output x.md method/simclr").code == 2);  // --output needs --markdown
  const auto bare = run_host_in_tree("describe");
  CHECK(bare.code == 2);
  CHECK_THAT(bare.err, Catch::Contains("--markdown"));
  const auto unwritable = run_host_in_tree("describe --markdown --output " + shell_quote((d / "no" / "such" / "x.md").string()));
  CHECK(unwritable.code == 2);
  CHECK_THAT(unwritable.err, Catch::Contains("cannot write"));
  fs::remove_all(d);
}

TEST_CASE("every relative link in the tree's Markdown files points at an existing file") {
  const auto files = tree_files({".md"}, {});
  REQUIRE(files.size() >= 10);
  CHECK(std::find(files.begin(), files.end(), fs::path(source_dir()) / "README.md") != files.end());
  int checked = 0;
  for (const auto& file : files) {
    for (const auto& [line, target] : link_targets(slurp(file))) {
      if (target.rfind("#", 0) == 0 || target.find("://") != std::string::npos || target.rfind("mailto:", 0) == 0) continue;
      const std::string path = target.substr(0, target.find('#'));
      INFO(in_tree(file) << ":" << line << ": link to '" << target << "'");
      CHECK(path.rfind("/", 0) != 0);  // absolute paths do not travel with the tree
      CHECK(fs::exists(file.parent_path() / path));
      ++checked;
    }
  }
  CHECK(checked >= 10);
}

TEST_CASE("no file in the tree cites documents that are not in the tree") {
  // Built from pieces so that this file does not match itself.
  const std::vector<std::string> outside = {std::string("../") + "shared", std::string("DESIGN") + ".md",
                                            std::string("METHODS") + ".md", std::string("seeds") + "/"};
  const auto files = tree_files({".md", ".cpp", ".h", ".hpp", ".cmake", ".txt", ".toml", ".sh", ".py", ".in"},
                                {"dev", "run", ".clang-format", ".clang-tidy", ".editorconfig"});
  REQUIRE(files.size() >= 50);
  std::vector<std::string> citations;
  for (const auto& file : files) {
    if (fs::file_size(file) > (4u << 20)) continue;  // data, not prose
    const auto lines = lines_of(slurp(file));
    for (size_t i = 0; i < lines.size(); ++i) {
      for (const auto& s : outside) {
        if (lines[i].find(s) != std::string::npos) citations.push_back(in_tree(file) + ":" + std::to_string(i + 1) + ": " + lines[i]);
      }
    }
  }
  std::string listed;
  for (const auto& c : citations) listed += "\n  " + c;
  INFO("say what those documents said in your own words instead of citing them:" << listed);
  CHECK(citations.empty());
}

TEST_CASE("no test case name holds a semicolon, which would split it in ctest so that it never runs") {
  // catch_discover_tests hands ctest a CMake list: "a; b" becomes the tests "a" and " b", each
  // of which matches nothing and passes without running anything.
  const auto files = tree_files({".cpp"}, {});
  const std::regex named(std::string("TEST_") + "CASE\\(\"[^\"]*;");
  std::vector<std::string> bad;
  for (const auto& file : files) {
    if (in_tree(file).rfind("tests/", 0) != 0) continue;
    const auto lines = lines_of(slurp(file));
    for (size_t i = 0; i < lines.size(); ++i)
      if (std::regex_search(lines[i], named)) bad.push_back(in_tree(file) + ":" + std::to_string(i + 1));
  }
  std::string listed;
  for (const auto& b : bad) listed += "\n  " + b;
  INFO("use ',' instead of ';' in these test names:" << listed);
  CHECK(bad.empty());
}
