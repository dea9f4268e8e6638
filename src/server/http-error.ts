/** The error every route throws to answer: status, body, content type and extra headers. */

/** Which InfluxDB API a route belongs to (the v2 API answers every error as `{code, message}`). */
export type Api = 'v1' | 'v2' | 'v3';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType = 'text/plain; charset=utf-8',
    readonly headers: Record<string, string> = {},
  ) {
    super(body);
    this.name = 'HttpError';
  }
}

export const json = (value: unknown): string => JSON.stringify(value);

/** An error answered as `{"error": message}`. */
export function jsonError(status: number, message: string, headers: Record<string, string> = {}): HttpError {
  return new HttpError(status, json({ error: message }), 'application/json', headers);
}

/** The v2 API's error shape. */
export function v2Error(status: number, message: string, headers: Record<string, string> = {}): HttpError {
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not found' : status === 413 ? 'request too large' : status === 503 ? 'unavailable' : status >= 500 ? 'internal error' : 'invalid';
  return new HttpError(status, json({ code, message }), 'application/json', headers);
}
