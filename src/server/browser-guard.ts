/**
 * Browser safety. A web page the user visits can send requests to a server on the user's machine:
 * a `text/plain` POST needs no CORS preflight (so a page could write line protocol), and through
 * DNS rebinding (a hostile name that resolves to 127.0.0.1) it can even read the answers. So:
 *
 * - no CORS headers at all unless `--cors-allowed-origins` lists the origin (or `*`);
 * - a request from another origin (an `Origin` header that is neither listed nor this server's
 *   own, or `Sec-Fetch-Site: cross-site`) is refused with 403 before it is read;
 * - on a loopback bind, a `Host` header that is not a loopback name or address is refused with
 *   403: a rebound name reaches the socket, but not with a Host we accept.
 *
 * Clients outside browsers (the InfluxDB libraries, curl, Telegraf, Grafana's backend) send no
 * `Origin` and a loopback `Host`, and are unaffected.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError, json } from './http-error.js';

export interface BrowserPolicyOptions {
  /** Origins allowed to call from a browser (`https://grafana.example.com`), or `*` for any. */
  corsAllowedOrigins?: readonly string[];
  /** Refuse a `Host` that is not a loopback name or address (set for loopback binds). */
  loopbackHostsOnly?: boolean;
}

const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Content-Encoding, Accept, Accept-Encoding';

export class BrowserPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  readonly loopbackHostsOnly: boolean;

  constructor(options: BrowserPolicyOptions = {}) {
    const list = (options.corsAllowedOrigins ?? []).map((o) => o.trim().replace(/\/+$/, '')).filter((o) => o !== '');
    this.anyOrigin = list.includes('*');
    this.origins = new Set(list.map((o) => o.toLowerCase()));
    this.loopbackHostsOnly = options.loopbackHostsOnly ?? false;
  }

  /**
   * Checks a request; throws a 403 HttpError when it must be refused. Returns the CORS headers
   * to add to its answer (none unless its origin is allowed).
   */
  check(req: IncomingMessage): Record<string, string> {
    const host = req.headers.host;
    if (this.loopbackHostsOnly && host !== undefined && !isLoopbackHost(host)) {
      throw forbidden(`host ${host.slice(0, 200)} refused: this server is bound to a loopback address and answers only loopback names (localhost, 127.0.0.1, [::1]); bind another address to serve other names`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (this.allows(origin)) return this.corsHeaders(origin);
      if (host !== undefined && isSameOrigin(origin, host)) return {};
      throw forbidden(`cross-origin request from ${origin.slice(0, 200)} refused: list the origin in --cors-allowed-origins to allow it`);
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') throw forbidden('cross-site request refused (Sec-Fetch-Site: cross-site): list the page\'s origin in --cors-allowed-origins to allow it');
    return {};
  }

  /** The answer to a CORS preflight (OPTIONS): 204 with the allowed methods, or 403. */
  preflight(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (origin === undefined || !this.allows(origin)) throw forbidden(`CORS preflight from ${(origin ?? '(no Origin)').slice(0, 200)} refused: list the origin in --cors-allowed-origins to allow it`);
    return { ...this.corsHeaders(origin), 'Access-Control-Allow-Methods': ALLOWED_METHODS, 'Access-Control-Allow-Headers': ALLOWED_HEADERS, 'Access-Control-Max-Age': '86400' };
  }

  private allows(origin: string): boolean {
    return this.anyOrigin || this.origins.has(origin.toLowerCase());
  }

  private corsHeaders(origin: string): Record<string, string> {
    return { 'Access-Control-Allow-Origin': this.anyOrigin ? '*' : origin, Vary: 'Origin' };
  }
}

function forbidden(message: string): HttpError {
  return new HttpError(403, json({ error: message }), 'application/json');
}

/** The host part of a Host header (`[::1]:8181` → `::1`, `localhost:8181` → `localhost`). */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** localhost, *.localhost, 127.0.0.0/8, ::1 (also as ::ffff:127.x). */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host).replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const kind = isIP(name);
  if (kind === 4) return name.startsWith('127.');
  if (kind === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  return false;
}

function isSameOrigin(origin: string, host: string): boolean {
  const o = origin.toLowerCase();
  const h = host.trim().toLowerCase();
  return o === `http://${h}` || o === `https://${h}`;
}
