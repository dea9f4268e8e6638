/**
 * `/api/v3/configure/database` (GET list, POST create, PUT set or clear the retention period,
 * DELETE delete) and
 * `/api/v3/configure/table` (POST create, DELETE delete), with InfluxDB 3's requests, statuses
 * and error texts: a create of something that exists is 409, an unknown name 404, a limit 422
 * with `{"error": …}`, a body that is not JSON 415/400. Every change goes through the WAL and is
 * answered once durable (see write/manage.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DuckDBValue } from '@duckdb/node-api';
import { parseQueryFormat, formatResult } from '../query/format.js';
import { QueryError } from '../query/errors.js';
import { ManageError, parseDuration, type FieldSpec } from '../write/manage.js';
import { HttpError, jsonError } from './http-error.js';
import type { SluiceServer } from './http.js';
import { walRefusal } from './write-routes.js';
import type { RequestTarget } from './target.js';

const CONTENT_TYPES = { json: 'application/json', jsonl: 'application/jsonl', csv: 'text/csv; charset=utf-8', pretty: 'text/plain; charset=utf-8' } as const;

export async function configureDatabase(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
  switch (req.method) {
    case 'GET':
      return listDatabases(server, res, target);
    case 'POST': {
      const body = await jsonBody(server, req);
      const db = stringField(body, 'db');
      const period = body.retention_period;
      let retentionPeriodNs: bigint | undefined;
      if (period !== undefined && period !== null) {
        if (typeof period !== 'string') throw new HttpError(400, 'serde json error: retention_period must be a string such as "30d"');
        retentionPeriodNs = await manage(() => parseDuration(period));
      }
      await manage(() => server.db.manage.createDatabase(db, retentionPeriodNs === undefined ? {} : { retentionPeriodNs }));
      return ok(res);
    }
    case 'DELETE': {
      const db = queryParam(target, 'db');
      await manage(() => server.db.manage.deleteDatabase(db));
      return ok(res);
    }
    case 'PUT': {
      // InfluxDB 3's update: a retention_period sets it, none (or null) clears it.
      const body = await jsonBody(server, req);
      const db = stringField(body, 'db');
      const period = body.retention_period;
      if (period !== undefined && period !== null && typeof period !== 'string') throw new HttpError(400, 'serde json error: retention_period must be a string such as "30d"');
      const retentionPeriodNs = typeof period === 'string' ? await manage(() => parseDuration(period)) : 0n;
      await manage(() => server.db.manage.setRetentionPeriod(db, retentionPeriodNs));
      return ok(res);
    }
    default:
      throw jsonError(405, 'unsupported method');
  }
}

export async function configureTable(server: SluiceServer, req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
  switch (req.method) {
    case 'POST': {
      const body = await jsonBody(server, req);
      const db = stringField(body, 'db');
      const table = stringField(body, 'table');
      const tags = body.tags;
      if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw new HttpError(400, 'serde json error: tags must be an array of strings');
      const rawFields = body.fields;
      if (!Array.isArray(rawFields)) throw new HttpError(400, 'serde json error: fields must be an array of {"name", "type"} objects');
      const fields: FieldSpec[] = rawFields.map((f: unknown) => {
        const field = f as Record<string, unknown> | null;
        if (typeof field !== 'object' || field === null || typeof field.name !== 'string' || typeof field.type !== 'string') {
          throw new HttpError(400, 'serde json error: each field must be an object {"name": string, "type": "utf8" | "int64" | "uint64" | "float64" | "bool"}');
        }
        return { name: field.name, type: field.type };
      });
      await manage(() => server.db.manage.createTable(db, table, tags as string[], fields));
      return ok(res);
    }
    case 'DELETE': {
      const db = queryParam(target, 'db');
      const table = queryParam(target, 'table');
      await manage(() => server.db.manage.deleteTable(db, table));
      return ok(res);
    }
    default:
      throw jsonError(405, 'unsupported method');
  }
}

/**
 * The databases, sorted by name, in a query format (`format`, default json) with the column
 * `iox::database`. With `show_deleted=true` the deleted ones follow, named as InfluxDB 3 names
 * them (`name-YYYYMMDDTHHMMSS`, the time of the delete), and a `deleted` column is added.
 */
function listDatabases(server: SluiceServer, res: ServerResponse, target: RequestTarget): void {
  const q = target.searchParams;
  let format;
  try {
    format = parseQueryFormat(q.get('format') ?? 'json');
  } catch (err) {
    if (err instanceof QueryError) throw new HttpError(400, `serde error: ${err.message}`);
    throw err;
  }
  if (format === 'parquet') throw new HttpError(400, 'serde error: the database list is answered as json, jsonl, csv or pretty');
  const showDeletedText = q.get('show_deleted') ?? 'false';
  if (showDeletedText !== 'true' && showDeletedText !== 'false') throw new HttpError(400, `serde error: show_deleted must be true or false, got ${JSON.stringify(showDeletedText)}`);
  const showDeleted = showDeletedText === 'true';
  const catalog = server.db.catalog;
  const rows: DuckDBValue[][] = catalog
    .listDatabases()
    .map((d) => d.name)
    .sort(byCodePoint)
    .map((name) => (showDeleted ? [name, false] : [name]));
  if (showDeleted) {
    const deleted = catalog.listDeletedDatabases().map((d) => `${d.name}-${compactUtc(d.deletionTimeNs)}`);
    for (const name of deleted.sort(byCodePoint)) rows.push([name, true]);
  }
  const columns = [{ name: 'iox::database', type: 'VARCHAR' }, ...(showDeleted ? [{ name: 'deleted', type: 'BOOLEAN' }] : [])];
  res.writeHead(200, { 'Content-Type': CONTENT_TYPES[format] });
  res.end(formatResult({ columns, rows }, format));
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `YYYYMMDDTHHMMSS` (UTC) of a time in nanoseconds: InfluxDB 3's suffix for a deleted name. */
function compactUtc(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return iso.slice(0, 19).replaceAll('-', '').replaceAll(':', '');
}

/** An empty 200 answer. */
export function ok(res: ServerResponse): void {
  res.writeHead(200);
  res.end();
}

/** The JSON object of a request body; InfluxDB 3 wants `Content-Type: application/json`. */
export async function jsonBody(server: SluiceServer, req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new HttpError(415, 'unacceptable content-type, expected: application/json');
  }
  const bytes = await server.readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `serde json error: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'serde json error: the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (v === undefined || v === null) throw new HttpError(400, `serde json error: missing field \`${name}\``);
  if (typeof v !== 'string') throw new HttpError(400, `serde json error: \`${name}\` must be a string`);
  return v;
}

function queryParam(target: RequestTarget, name: string): string {
  const v = target.searchParams.get(name);
  if (v === null || v === '') throw new HttpError(400, `serde error: missing field \`${name}\``);
  return v;
}

/** Runs a change and turns its refusal into InfluxDB 3's answer. */
export async function manage<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ManageError) {
      switch (err.code) {
        case 'NOT_FOUND':
          throw new HttpError(404, err.message);
        case 'ALREADY_EXISTS':
          throw new HttpError(409, err.message);
        case 'LIMIT':
          throw jsonError(422, err.message);
        case 'INVALID':
          throw new HttpError(400, err.message);
      }
    }
    throw walRefusal(err) ?? err;
  }
}
