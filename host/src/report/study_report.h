#pragma once
// The study folder (runs/<study>/): study.json (the arms and where their runs are),
// results.csv (one row an arm) and report.html, a self-contained page comparing the arms:
// their final numbers, accuracy and collapse metrics by epoch, and the last singular-value
// spectrum of every arm overlaid per representation. Each arm's own report.html is linked.
#include <filesystem>
#include <string>
#include <vector>

namespace ssl::host::report {

struct StudyArmRef {
  std::string name;
  std::filesystem::path dir;  // the arm's run folder
  std::string error;          // why the arm failed in this invocation ("" when it did not)
  std::string compare_to;     // the arm whose numbers this arm's are shown against ("" none)
};

struct StudyPage {
  std::string name, description;
  std::vector<std::string> columns;  // extra final metrics ("Selected metrics", results.csv)
  std::string against;               // pipeline key the final metrics are plotted against ("" none)
  std::vector<StudyArmRef> arms;
};

// Writes study.json, results.csv and report.html into `study_dir` (atomically); returns the
// page's path.
std::filesystem::path write_study(const std::filesystem::path& study_dir, const StudyPage& page);

// True when `dir` holds study.json.
bool is_study_folder(const std::filesystem::path& dir);

// Redraws the page and results.csv from study.json and the arms' folders.
std::filesystem::path rewrite_study(const std::filesystem::path& study_dir);

// The results table as aligned text for the console.
std::string study_table_text(const std::filesystem::path& study_dir);

}  // namespace ssl::host::report
