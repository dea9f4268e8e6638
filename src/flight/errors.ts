/**
 * Flight's errors are gRPC statuses with a message: a bad ticket or statement is
 * INVALID_ARGUMENT, an unknown database NOT_FOUND, a missing or wrong token UNAUTHENTICATED, the
 * query timeout DEADLINE_EXCEEDED, a full line of queries or an answer past
 * `--max-query-result-bytes` RESOURCE_EXHAUSTED, a server still opening UNAVAILABLE.
 */
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { InfluxQLParseError } from '../influxql/parser.js';
import { QueryError } from '../query/errors.js';
import { FlightRequestError } from './tickets.js';

export class FlightStatusError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'FlightStatusError';
  }

  toServiceError(): ServiceError {
    return Object.assign(new Error(this.message), { code: this.code, details: this.message, metadata: new Metadata() });
  }
}

/** The gRPC status of each QueryError code. */
export function statusOf(code: QueryError['code']): status {
  switch (code) {
    case 'DATABASE_NOT_FOUND':
      return status.NOT_FOUND;
    case 'INVALID_QUERY':
    case 'NOT_READ_ONLY':
    case 'INVALID_FORMAT':
    case 'QUERY_TOO_LARGE':
      return status.INVALID_ARGUMENT;
    case 'TIMEOUT':
      return status.DEADLINE_EXCEEDED;
    case 'CANCELLED':
      return status.CANCELLED;
    case 'RESOURCES_EXHAUSTED':
    case 'RESULT_TOO_LARGE':
      return status.RESOURCE_EXHAUSTED;
    case 'SCHEMA_CONFLICT':
      return status.FAILED_PRECONDITION;
    case 'INTERNAL':
      return status.INTERNAL;
  }
}

/** Any failure as a status error. */
export function flightError(err: unknown): FlightStatusError {
  if (err instanceof FlightStatusError) return err;
  if (err instanceof FlightRequestError) return new FlightStatusError(status.INVALID_ARGUMENT, err.message);
  if (err instanceof QueryError) return new FlightStatusError(statusOf(err.code), err.message);
  if (err instanceof InfluxQLParseError) return new FlightStatusError(status.INVALID_ARGUMENT, `error parsing query: ${err.message}`);
  return new FlightStatusError(status.INTERNAL, `internal error: ${(err as Error)?.message ?? String(err)}`);
}
