#pragma once
// A study: several runs ("arms") of pipelines that differ in a few keys, trained one after the
// other and compared on one page. A pipeline file with [[arms]] is a study:
//
//   name = "study_simsiam_stopgrad"          # the study folder: runs/<name>
//   description = "SimSiam with and without stop-gradient"
//   [[arms]]
//   name = "stop_gradient"                   # legend entry; run folder <study folder>/<name>
//                                            # (the study folder: runs/<study name> or --output)
//   pipeline = "simsiam_fashion_mnist.toml"  # relative to the study file
//   set = ["trainer.epochs=6"]               # overrides, the syntax of --set
//   output = "study_methods/simsiam"         # optional: the run folder, relative to the runs
//                                            # folder (runs/); studies that name the same folder
//                                            # with the same resolved pipeline share one run
//   compare_to = "stop_gradient"             # optional: another arm; the page shows this arm's
//                                            # numbers as changes from that arm's
// and at the top, optionally, columns = ["linear/tail/top1", ...]: final metrics the page's
// "Selected metrics" table and results.csv show next to kNN and linear top-1.
//
// `ssl-host run STUDY` works like make: every arm is validated first (all errors at once);
// an arm whose folder holds a finished run of the identical resolved pipeline is up to date
// and kept; an interrupted one is resumed; a folder holding a different pipeline is an error
// (--overwrite retrains it). Then <study folder>/report.html compares the arms, results.csv
// lists their numbers and study.json records the arms so `ssl-host report` can redraw it.
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "config_tree.h"

namespace ssl::host {

struct StudyArm {
  std::string name;
  std::filesystem::path pipeline;  // absolute or relative to the working directory
  std::vector<std::string> set;
  std::string output;  // relative to the runs folder; empty: <study folder>/<arm name>
  std::string compare_to;  // another arm's name, or empty
  SourcePos pos;
};

struct Study {
  std::string name, description;
  std::vector<std::string> columns;  // extra final metrics for the page and results.csv
  std::string against;               // a numeric pipeline key to plot final metrics against ("" none)
  std::vector<StudyArm> arms;
};

// True when the document has an `arms` key.
bool is_study(const Node& root);

// Reads and checks a study document (keys, arm names, pipeline files exist); throws
// ConfigError with every problem and its position.
Study parse_study(const Node& root, const std::filesystem::path& file);

}  // namespace ssl::host
