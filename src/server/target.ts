/**
 * The request target (`req.url`) as the routes need it: a path and its query parameters. Parsed
 * without `new URL`, which throws on targets a client can send (`//x:99999/`, `//[/`): every
 * byte of a target gives a path or a typed 400, never an exception outside the request's handler.
 */
import { HttpError } from './http-error.js';

export interface RequestTarget {
  /** The path, undecoded (routes are matched on it as sent). */
  readonly path: string;
  /** The query string with its `?`, or '' when there is none. */
  readonly search: string;
  readonly searchParams: URLSearchParams;
}

/** Parses origin-form (`/p?q`) and absolute-form (`http://host/p?q`) targets; anything else is a 400. */
export function parseTarget(raw: string | undefined): RequestTarget {
  let target = raw ?? '/';
  if (!target.startsWith('/')) {
    // Absolute form, as proxies send it: keep the path and query, ignore scheme and authority.
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    if (m === null) throw new HttpError(400, `invalid request target ${JSON.stringify(target.slice(0, 200))}: expected /path?query`);
    target = target.slice(m[0].length);
    if (!target.startsWith('/')) target = `/${target}`;
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const search = q < 0 ? '' : target.slice(q);
  // URLSearchParams never throws: a bad percent-escape is kept as it was sent.
  return { path, search, searchParams: new URLSearchParams(search) };
}
