// A node:test reporter that prints, once the run is over, how long each test file's tests took
// (the sum of its top-level tests), slowest first: where the suite's minutes go.
export default async function* fileTimes(source) {
  const byFile = new Map();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    const file = event.data.file ?? '(unknown)';
    byFile.set(file, (byFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
  }
  const rows = [...byFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  yield `\n# test time by file (${rows.length} files, ${(total / 1000).toFixed(0)} s in all, run two at a time):\n`;
  for (const [file, ms] of rows.slice(0, 25)) yield `#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(`${process.cwd()}/`, '')}\n`;
}
