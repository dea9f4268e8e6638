/** The error InfluxQL's parser throws: InfluxDB 1.x's message, and the position it names. */

/**
 * A query InfluxQL cannot parse; `message` is InfluxDB's wording (`found X, expected Y at line 1,
 * char 8`). `line` and `char` (1-based, as in the message) are absent when InfluxDB's message
 * names no position (`invalid duration`).
 */
export class InfluxQLParseError extends Error {
  readonly line: number | undefined;
  readonly char: number | undefined;
  constructor(message: string, line?: number, char?: number) {
    super(message);
    this.name = 'InfluxQLParseError';
    this.line = line;
    this.char = char;
  }
}
