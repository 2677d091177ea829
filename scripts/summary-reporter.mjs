// node:test reporter that ends the run with the plain line "N passed, N failed, N skipped",
// which CI reads whatever the runner. It counts tests, not describe() suites — except a suite
// skipped as a whole (its tests never run, e.g. a network suite on a kernel without a feature),
// which counts as one skipped.
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const suite = event.data.details?.type === "suite";
    if (suite && !event.data.skip) continue;
    if (event.data.skip || event.data.todo) skipped++;
    else if (event.type === "test:pass") passed++;
    else failed++;
  }
  yield `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
