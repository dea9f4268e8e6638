/** The route table: path → methods, API, whether it needs a token, and its handler. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Api } from './http-error.js';
import type { SluiceServer } from './http.js';
import { configureDistinctCache, configureLastCache } from './cache-routes.js';
import { configureDatabase, configureTable } from './configure-routes.js';
import { health, metrics, ping } from './info-routes.js';
import { queryInfluxQLV3, queryV1 } from './influxql-routes.js';
import { querySql } from './query-routes.js';
import type { RequestTarget } from './target.js';
import { write } from './write-routes.js';

export interface Route {
  methods: readonly string[];
  api: Api;
  /** Answered without a token and without the browser policy (only /health and /ping: liveness probes). */
  public?: boolean;
  /** Answered while the database is still opening (the handler checks `server.notReady`). */
  whileStarting?: boolean;
  handler: (server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget) => Promise<void> | void;
}

export const ROUTES: Readonly<Record<string, Route>> = {
  '/api/v3/write_lp': { methods: ['POST'], api: 'v3', handler: (s, req, res, t) => write(s, req, res, t, 'v3') },
  '/api/v2/write': { methods: ['POST'], api: 'v2', handler: (s, req, res, t) => write(s, req, res, t, 'v2') },
  '/write': { methods: ['POST'], api: 'v1', handler: (s, req, res, t) => write(s, req, res, t, 'v1') },
  '/api/v3/query_sql': { methods: ['GET', 'POST'], api: 'v3', handler: querySql },
  '/api/v3/query_influxql': { methods: ['GET', 'POST'], api: 'v3', handler: queryInfluxQLV3 },
  '/query': { methods: ['GET', 'POST'], api: 'v1', handler: queryV1 },
  '/api/v3/configure/database': { methods: ['GET', 'POST', 'PUT', 'DELETE'], api: 'v3', handler: configureDatabase },
  '/api/v3/configure/table': { methods: ['POST', 'DELETE'], api: 'v3', handler: configureTable },
  '/api/v3/configure/last_cache': { methods: ['POST', 'DELETE'], api: 'v3', handler: configureLastCache },
  '/api/v3/configure/distinct_cache': { methods: ['POST', 'DELETE'], api: 'v3', handler: configureDistinctCache },
  '/health': { methods: ['GET', 'HEAD'], api: 'v3', public: true, whileStarting: true, handler: health },
  '/api/v1/health': { methods: ['GET', 'HEAD'], api: 'v3', public: true, whileStarting: true, handler: health },
  '/ping': { methods: ['GET', 'POST', 'HEAD'], api: 'v3', public: true, whileStarting: true, handler: ping },
  '/metrics': { methods: ['GET'], api: 'v3', whileStarting: true, handler: metrics },
};

/** The metric label of a path: a known route, else `other` (a client cannot create label values). */
export function routeLabel(path: string | undefined): string {
  return path !== undefined && Object.hasOwn(ROUTES, path) ? path : 'other';
}
