// A node:test reporter that prints, once the run is over, how long each test file's tests took
// (the sum of its top-level tests), slowest first: where the suite's minutes go. It also repeats,
// at the very end, the errors that fail a file without failing any of its tests (an error thrown
// or a promise rejected after a test ended), which the spec reporter prints only where they happen.
export default async function* fileTimes(source) {
  const byFile = new Map();
  const strayErrors = [];
  for await (const event of source) {
    if (event.type === 'test:diagnostic' && /asynchronous activity after the test ended|uncaughtException|unhandledRejection/.test(event.data.message)) {
      strayErrors.push(event.data.message);
    }
    if (event.type === 'test:stderr' && event.data.message.startsWith('# stray ')) strayErrors.push(`${event.data.file ?? '(unknown file)'}: ${event.data.message.trimEnd()}`);
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    const file = event.data.file ?? '(unknown)';
    byFile.set(file, (byFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
  }
  const rows = [...byFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  yield `\n# test time by file (${rows.length} files, ${(total / 1000).toFixed(0)} s in all, run two at a time):\n`;
  for (const [file, ms] of rows.slice(0, 25)) yield `#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(`${process.cwd()}/`, '')}\n`;
  if (strayErrors.length > 0) {
    yield `\n# errors raised outside any test (each fails its file):\n`;
    for (const e of strayErrors) yield `#   ${e.replaceAll(`${process.cwd()}/`, '').replaceAll('\n', '\n#     ')}\n`;
  }
}
