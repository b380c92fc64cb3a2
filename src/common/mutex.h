// mcpx::Mutex: the one mutex type of the library, a reader/writer lock with
// Clang thread-safety annotations (GUARDED_BY, ACQUIRED_AFTER ... checked by
// -Wthread-safety).
//
// Backends, chosen at build time:
//  - default: std::shared_mutex (pthread rwlock). ThreadSanitizer intercepts
//    it, so TSan sees every happens-before edge;
//  - MCPX_MUTEX_ABSL: absl::Mutex, whose lock-order graph aborts on a
//    potential deadlock (enabled in debug builds, see common/deadlock.h).
//    Debian's Abseil is not built with TSan, so TSan builds never use it.
//
// Thread safety: it is a mutex.
#pragma once

#include "absl/base/thread_annotations.h"

#if defined(MCPX_MUTEX_ABSL)
#include "absl/synchronization/mutex.h"
#else
#include <shared_mutex>
#endif

namespace mcpx {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

#if defined(MCPX_MUTEX_ABSL)
  // Debian's Abseil is built with NDEBUG, so absl::Mutex's destructor keeps
  // its node in the lock-order graph; a new mutex at the same address would
  // inherit its edges and trip a false "potential deadlock". Forget it here.
  ~Mutex() { mu_.ForgetDeadlockInfo(); }

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.Lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.TryLock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mu_.ReaderLock(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.ReaderUnlock(); }
  bool ReaderTryLock() ABSL_SHARED_TRYLOCK_FUNCTION(true) { return mu_.ReaderTryLock(); }

 private:
  absl::Mutex mu_;
#else
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.try_lock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mu_.lock_shared(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock_shared(); }
  bool ReaderTryLock() ABSL_SHARED_TRYLOCK_FUNCTION(true) { return mu_.try_lock_shared(); }

 private:
  std::shared_mutex mu_;
#endif
};

// Scoped exclusive lock.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Scoped shared lock.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace mcpx

namespace mcpx {

// With the absl::Mutex backend, makes a lock-order cycle abort the process
// with both acquisition stacks (Abseil's deadlock detector). The engine calls
// it on construction; a no-op with the default backend.
inline void EnableDeadlockDetection() {
#if defined(MCPX_MUTEX_ABSL)
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
#endif
}

}  // namespace mcpx
