/** Codes of write errors a server maps to HTTP statuses. */
export type WriteErrorCode = 'INVALID_PRECISION' | 'INVALID_DATABASE' | 'EMPTY_WRITE' | 'PARSE' | 'LIMIT';

/** A write request that cannot be taken as a whole. */
export class WriteError extends Error {
  constructor(
    readonly code: WriteErrorCode,
    message: string,
    /** The line errors behind a PARSE or LIMIT error. */
    readonly lineErrors: readonly WriteLineError[] = [],
  ) {
    super(message);
    this.name = 'WriteError';
  }
}

/** One rejected line, as InfluxDB reports it: physical line number, the line's start, the reason. */
export interface WriteLineError {
  lineNumber: number;
  originalLine: string;
  errorMessage: string;
  /** Set when the line failed on a catalog limit (a server answers 422 for those). */
  isLimit?: boolean;
}
