// RunFolderLock: one process per run folder, released however the holder ends.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "diagnostics.h"
#include "run_host.h"
#include "run_lock.h"

using namespace ssl::host;
namespace fs = std::filesystem;

namespace {
// A run folder that does not exist yet, in a fresh scratch folder.
fs::path temp_dir(const std::string& name) { return ssl::test::scratch_dir("lock_" + name) / "run"; }
}  // namespace

TEST_CASE("a second lock on a run folder is refused naming the holder's PID") {
  const fs::path d = temp_dir("twice");
  fs::create_directories(d);
  std::ofstream(d / "metrics.jsonl") << "{}\n";
  {
    const RunFolderLock first(d);
    CHECK_THROWS_AS(RunFolderLock(d), UsageError);
    CHECK_THROWS_WITH(RunFolderLock(d), Catch::Contains(d.string() + " is in use by another ssl-host process (PID " +
                                                        std::to_string(::getpid()) + ")"));
  }
  const RunFolderLock again(d);  // released with the first
  CHECK(fs::exists(d / "metrics.jsonl"));
}

TEST_CASE("a lock held by a process killed with SIGKILL is free at once") {
  const fs::path d = temp_dir("killed");
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const RunFolderLock held(d);
    const char c = 'x';
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  CHECK_THROWS_WITH(RunFolderLock(d), Catch::Contains("(PID " + std::to_string(child) + ")"));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  CHECK_NOTHROW(RunFolderLock(d));
}

TEST_CASE("a folder the lock created is removed again when nothing else was written into it") {
  const fs::path d = temp_dir("created");
  { const RunFolderLock lock(d); }
  CHECK_FALSE(fs::exists(d));
  {
    const RunFolderLock lock(d);
    std::ofstream(d / "metrics.jsonl") << "{}\n";
  }
  CHECK(fs::exists(d / "metrics.jsonl"));
}
