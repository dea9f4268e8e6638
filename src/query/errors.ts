/** A query the engine refused or could not answer; `code` says why (the server maps it to a status). */
export class QueryError extends Error {
  constructor(
    readonly code: 'DATABASE_NOT_FOUND' | 'INVALID_QUERY' | 'NOT_READ_ONLY' | 'TIMEOUT' | 'RESOURCES_EXHAUSTED' | 'INVALID_FORMAT' | 'CANCELLED' | 'RESULT_TOO_LARGE' | 'QUERY_TOO_LARGE' | 'SCHEMA_CONFLICT' | 'INTERNAL',
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}
