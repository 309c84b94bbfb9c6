#pragma once
// What one `ssl-host run` asks for: the one options type of a run. The command line fills it
// (main.cpp), a study derives one per arm (study_runner.cpp), the run folder decides how the
// run starts (run_folder.h: a request for a new run in a folder that holds only a run that
// failed before its first checkpoint becomes a fresh start; --resume without a checkpoint
// starts from scratch) and the trainer reads the rest (trainer.h).
#include <atomic>
#include <cstdint>
#include <string>

namespace ssl::host {

struct RunRequest {
  enum class Start {
    New,        // a new run; the folder must not hold a run worth keeping
    Resume,     // continue from the folder's last checkpoint (--resume)
    Overwrite,  // remove the folder's previous run first (--overwrite)
  };

  std::string output;  // run folder, or a study's folder (default runs/<name>)
  Start start = Start::New;
  int64_t stop_at_step = 0;                     // > 0: checkpoint and stop once this many steps are done
  std::atomic<bool>* stop_requested = nullptr;  // set by SIGINT/SIGTERM: checkpoint and stop

  bool resume() const { return start == Start::Resume; }
};

}  // namespace ssl::host
