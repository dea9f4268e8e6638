/** InfluxQL's parser: text → {@link Query}. */
import type { Query } from './ast.js';

/** A query InfluxQL cannot parse; `message` is InfluxDB's wording (`found X, expected Y at line 1, char 8`). */
export class InfluxQLParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfluxQLParseError';
  }
}

export function parseQuery(text: string): Query {
  throw new InfluxQLParseError(`not implemented yet: ${text.slice(0, 20)}`);
}
