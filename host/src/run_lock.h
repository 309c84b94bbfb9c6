#pragma once
// One process per run folder: an exclusive flock(2) on <folder>/.lock, held for as long as the
// object lives. The kernel drops the lock when the process ends, however it ends (kill -9
// included), so a lock is never stale; the file stays behind and is reused. The holder writes
// its PID into the file, so a refused process can say who holds the folder. A folder the lock
// created and that holds nothing but the lock file when it is released (a run refused before
// it started) is removed again.
#include <filesystem>

namespace ssl::host {

class RunFolderLock {
 public:
  // Creates the folder if needed and takes the lock; throws UsageError naming the holder's PID
  // when another process holds it, sdk::Error when the folder or the lock file cannot be made.
  explicit RunFolderLock(const std::filesystem::path& dir);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

  static constexpr const char* kFileName = ".lock";

 private:
  std::filesystem::path dir_;
  bool created_ = false;
  int fd_ = -1;
};

}  // namespace ssl::host
