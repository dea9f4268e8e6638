/**
 * Engine error messages as InfluxDB 3 words them: they name the table, column or function the
 * user wrote, with DataFusion's kinds of error (`Error during planning`, `SQL error`, `Cast
 * error`, `Execution error`) instead of DuckDB's (`Binder Error`, `Parser Error`, …), and none
 * of the engine's internals: no schema of a database (`db_3.`), no macro schema (`sluice.`), no
 * echo of the SQL that ran (which is the rewritten statement, not the user's).
 */

const KINDS: ReadonlyArray<[RegExp, string]> = [
  [/^Parser Error: /i, 'SQL error: '],
  [/^Syntax Error: /i, 'SQL error: '],
  [/^Binder Error: /i, 'Error during planning: '],
  [/^Catalog Error: /i, 'Error during planning: '],
  [/^Conversion Error: /i, 'Cast error: '],
  [/^Invalid Input Error: /i, 'Execution error: '],
  [/^Out of Range Error: /i, 'Execution error: '],
  [/^Not implemented Error: /i, 'This feature is not implemented: '],
];

/** `message` (names already decoded) in InfluxDB 3's words; a message of no known kind is returned as it is. */
export function influxMessage(message: string): string {
  // DuckDB appends the statement with a caret under the error: the statement that ran, not the user's.
  let text = message.replace(/\n+LINE \d+:[\s\S]*$/, '').trim();
  text = text.replace(/\b(?:memory\.)?db_\d+\./g, '').replace(/\bsluice\./g, '').replace(/\bmain\./g, '');
  const fn = /^Catalog Error: Scalar Function with name (\S+) does not exist!(?:\s*Did you mean "([^"]+)"\?)?/.exec(text);
  if (fn !== null) return `Error during planning: Invalid function '${fn[1]}'.${fn[2] === undefined ? '' : ` Did you mean '${fn[2].replace(/^(main|sluice)\./, '')}'?`}`;
  const aggregate = /^Catalog Error: Aggregate Function with name (\S+) does not exist!/.exec(text);
  if (aggregate !== null) return `Error during planning: Invalid function '${aggregate[1]}'.`;
  const table = /^Catalog Error: Table with name (\S+) does not exist!/.exec(text);
  if (table !== null) return `Error during planning: table '${table[1]}' not found`;
  const column = /^Binder Error: Referenced column "?([^"\n]+?)"? not found in FROM clause!(?:\s*Candidate bindings: (.*))?/.exec(text);
  if (column !== null) {
    const candidates = column[2] === undefined ? '' : ` Similar fields: ${column[2].replace(/"/g, '').replace(/\s*\n[\s\S]*$/, '')}.`;
    return `Schema error: No field named ${JSON.stringify(column[1])}.${candidates}`;
  }
  const args = /^Binder Error: No function matches the given name and argument types '([^(']+)\(([^']*)\)'/.exec(text);
  if (args !== null) return `Error during planning: function '${args[1]}' does not accept arguments of types (${args[2]})`;
  const compare = /^Binder Error: Cannot compare values of type (\S+) and type (.+?)( - an explicit cast is required)?$/m.exec(text);
  if (compare !== null) return `Error during planning: cannot compare ${compare[1]} with ${compare[2]}`;
  const macro = /^Binder Error: Macro (\S+)\(\) does not support the supplied arguments[\s\S]*?Candidate macros:\s*([\s\S]*)$/.exec(text);
  if (macro !== null) return `Error during planning: function '${macro[1]}' does not accept these arguments; it takes ${(macro[2] ?? '').trim().split(/\s*\n\s*/).map((c) => c.replace(/^\S+?\(/, '(')).join(' or ')}`;
  // Past the first line come the engine's candidate lists and hints, in its own terms.
  text = text.split('\n')[0]!.trim();
  for (const [re, kind] of KINDS) if (re.test(text)) return text.replace(re, kind);
  return text;
}
