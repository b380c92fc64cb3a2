// Counted checks for the end-to-end scripts: each failure is printed as it
// happens, and finish() prints "N passed, M failed" and exits accordingly.
export function checks() {
  let passed = 0;
  let failed = 0;
  return {
    check(cond, what) {
      if (cond) {
        passed++;
      } else {
        failed++;
        console.error(`FAIL: ${what}`);
      }
    },
    fail(what) {
      failed++;
      console.error(`FAIL: ${what}`);
    },
    finish() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed === 0 ? 0 : 1);
    },
  };
}
