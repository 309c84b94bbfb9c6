#include "run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "diagnostics.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {
// The PID the holder wrote, or "" when the file holds none (it is being written).
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}
}  // namespace

RunFolderLock::RunFolderLock(const fs::path& dir) : dir_(dir) {
  std::error_code ec;
  created_ = fs::create_directories(dir, ec);
  if (ec) throw sdk::Error("cannot create the run folder " + dir.string() + ": " + ec.message());
  const fs::path file = dir / kFileName;
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw sdk::Error("cannot open the lock file " + file.string() + ": " + std::strerror(errno));
  int rc;
  do rc = ::flock(fd_, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    const std::string pid = holder_pid(fd_);
    ::close(fd_);
    if (err == EWOULDBLOCK)
      throw UsageError(dir.string() + " is in use by another ssl-host process" +
                       (pid.empty() ? std::string() : " (PID " + pid + ")") +
                       ": wait for it to end, stop it, or pick another folder with --output");
    throw sdk::Error("cannot lock " + file.string() + ": " + std::strerror(err));
  }
  // Without the PID the lock still holds; a refused process's message only lacks the number.
  const std::string pid = std::to_string(::getpid()) + "\n";
  const bool recorded =
      ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
  (void)recorded;
}

RunFolderLock::~RunFolderLock() {
  std::error_code ec;
  if (created_) {
    bool only_lock = true;
    for (const auto& e : fs::directory_iterator(dir_, ec)) only_lock = only_lock && e.path().filename() == kFileName;
    if (only_lock && !ec) {  // removed while still held, so no other process can be using it
      fs::remove(dir_ / kFileName, ec);
      fs::remove(dir_, ec);
    }
  }
  ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace ssl::host
