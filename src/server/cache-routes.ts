/**
 * `/api/v3/configure/last_cache` and `/api/v3/configure/distinct_cache` (POST create, DELETE
 * delete) with InfluxDB 3's requests, defaults and statuses: 201 with the definition made, 409
 * when the table has a cache of that name (identical or not, as InfluxDB 3 answers), 404 for an
 * unknown database, table or cache, 400 for a bad body or column, 200 on delete. A delete takes
 * `db`, `table` and `name` from the query string when there is one, else from a JSON body. See
 * docs/caches.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DistinctCacheDefinition, LastCacheDefinition } from '../wal/model.js';
import type { TableSchema } from '../catalog/catalog.js';
import { jsonBody, manage, ok, stringField } from './configure-routes.js';
import { HttpError, jsonError } from './http-error.js';
import type { SluiceServer } from './http.js';
import type { RequestTarget } from './target.js';

export async function configureLastCache(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
  switch (req.method) {
    case 'POST': {
      const body = await jsonBody(server, req);
      const db = stringField(body, 'db');
      const table = stringField(body, 'table');
      const request = {
        name: optionalString(body, 'name'),
        keyColumns: optionalStrings(body, 'key_columns'),
        valueColumns: optionalStrings(body, 'value_columns'),
        count: optionalCount(body, 'count'),
        ttlSeconds: optionalCount(body, 'ttl'),
      };
      const cache = await manage(() => server.db.manage.createLastCache(db, table, request));
      return created(res, lastCacheJson(db, cache, server.db.catalog.database(db)?.tablesById.get(cache.tableId)));
    }
    case 'DELETE': {
      const { db, table, name } = await deleteParams(server, req, target);
      await manage(() => server.db.manage.deleteLastCache(db, table, name));
      return ok(res);
    }
    default:
      throw jsonError(405, 'unsupported method');
  }
}

export async function configureDistinctCache(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
  switch (req.method) {
    case 'POST': {
      const body = await jsonBody(server, req);
      const db = stringField(body, 'db');
      const table = stringField(body, 'table');
      const columns = optionalStrings(body, 'columns');
      if (columns === undefined) throw new HttpError(400, 'serde json error: missing field `columns`');
      const request = { name: optionalString(body, 'name'), columns, maxCardinality: optionalCount(body, 'max_cardinality'), maxAgeSeconds: optionalCount(body, 'max_age') };
      if (request.maxCardinality === 0) throw new HttpError(400, 'serde json error: max_cardinality: invalid size provided');
      const cache = await manage(() => server.db.manage.createDistinctCache(db, table, request));
      return created(res, distinctCacheJson(db, cache, server.db.catalog.database(db)?.tablesById.get(cache.tableId)));
    }
    case 'DELETE': {
      const { db, table, name } = await deleteParams(server, req, target);
      await manage(() => server.db.manage.deleteDistinctCache(db, table, name));
      return ok(res);
    }
    default:
      throw jsonError(405, 'unsupported method');
  }
}

/** A definition as the create answers it (and `system.last_caches` lists it): column names, not ids. */
export function lastCacheJson(db: string, cache: LastCacheDefinition, table: TableSchema | undefined): Record<string, unknown> {
  const nameOf = (id: number) => table?.columnsById.get(id)?.name ?? String(id);
  return {
    db,
    table: cache.tableName,
    name: cache.name,
    key_columns: cache.keyColumnIds.map(nameOf),
    value_columns: cache.valueColumnIds?.map(nameOf) ?? null,
    count: cache.count,
    ttl: cache.ttlSeconds,
  };
}

function distinctCacheJson(db: string, cache: DistinctCacheDefinition, table: TableSchema | undefined): Record<string, unknown> {
  const nameOf = (id: number) => table?.columnsById.get(id)?.name ?? String(id);
  return { db, table: cache.tableName, name: cache.name, columns: cache.columnIds.map(nameOf), max_cardinality: cache.maxCardinality, max_age: cache.maxAgeSeconds };
}

/** `db`, `table` and `name` from the query string if there is one, else from the JSON body (as InfluxDB 3 reads them). */
async function deleteParams(server: SluiceServer, req: IncomingMessage, target: RequestTarget): Promise<{ db: string; table: string; name: string }> {
  if (target.search !== '') {
    req.resume();
    const q = target.searchParams;
    const get = (field: string): string => {
      const v = q.get(field);
      if (v === null) throw new HttpError(400, `serde error: missing field \`${field}\``);
      return v;
    };
    return { db: get('db'), table: get('table'), name: get('name') };
  }
  const body = await jsonBody(server, req);
  return { db: stringField(body, 'db'), table: stringField(body, 'table'), name: stringField(body, 'name') };
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `serde json error: \`${field}\` must be a string`);
  return v;
}

function optionalStrings(body: Record<string, unknown>, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new HttpError(400, `serde json error: \`${field}\` must be an array of strings`);
  return v as string[];
}

function optionalCount(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new HttpError(400, `serde json error: \`${field}\` must be a non-negative integer`);
  return v;
}

function created(res: ServerResponse, body: Record<string, unknown>): void {
  res.writeHead(201, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

