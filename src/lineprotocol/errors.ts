/** What was wrong with a line; the values are stable codes a client can switch on. */
export type LineErrorKind =
  | 'measurement'
  | 'tag'
  | 'field'
  | 'field-value'
  | 'timestamp'
  | 'duplicate-tag'
  | 'duplicate-field'
  | 'trailing-content'
  | 'too-large';

/** Longest excerpt of the offending line kept in an error. */
export const EXCERPT_BYTES = 40;

/**
 * One bad line. `lineNumber` is the physical line (1-based, counting every newline in the body,
 * including blank lines, comments and newlines inside quoted strings) where the line starts.
 */
export class LineProtocolError extends Error {
  readonly code = 'LINE_PROTOCOL';

  constructor(
    readonly kind: LineErrorKind,
    readonly lineNumber: number,
    readonly excerpt: string,
    readonly detail: string,
  ) {
    // A bad line is the client's data, not a fault here: a stack trace would say nothing, and
    // capturing one for each of a body's many bad lines costs more than parsing them.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`line ${lineNumber}: ${detail}`);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'LineProtocolError';
  }
}
