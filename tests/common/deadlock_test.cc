// Built only with MCPX_ABSL_MUTEX (debug and asan presets): proves that a
// lock-order inversion on mcpx::Mutex is caught by Abseil's deadlock detector
// even though the two orders never run at the same time.
#include <gtest/gtest.h>

#include "common/mutex.h"

#if !defined(MCPX_MUTEX_ABSL)
#error "deadlock_test needs the absl::Mutex backend (MCPX_ABSL_MUTEX=ON)"
#endif

namespace mcpx {
namespace {

void Inversion() {
  EnableDeadlockDetection();
  Mutex a;
  Mutex b;
  {
    MutexLock la(&a);
    MutexLock lb(&b);
  }
  {
    MutexLock lb(&b);
    MutexLock la(&a);  // b before a after a before b: a cycle
  }
}

TEST(DeadlockDetectorDeathTest, LockOrderInversionAborts) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(Inversion(), "[Dd]eadlock");
}

TEST(DeadlockDetector, ConsistentOrderIsFine) {
  EnableDeadlockDetection();
  Mutex a;
  Mutex b;
  for (int i = 0; i < 3; ++i) {
    MutexLock la(&a);
    MutexLock lb(&b);
  }
  SUCCEED();
}

}  // namespace
}  // namespace mcpx
