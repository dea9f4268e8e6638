// Loaded into every test process (scripts/test.mjs): an error thrown or a promise rejected outside
// any test is printed with its stack, which node:test's own report of it leaves out. The test
// runner still fails the file for it; this only says where it came from.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    const text = err instanceof Error ? (err.stack ?? String(err)) : String(err);
    // One line, so the run's summary can repeat it whole.
    process.stderr.write(`# stray ${event}: ${text.split('\n').map((line) => line.trim()).join(' | ')}\n`);
  });
}
