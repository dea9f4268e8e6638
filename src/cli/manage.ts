/**
 * `sluice create|show|delete database` and `sluice create|delete table`: InfluxDB 3's commands
 * and words, talking to a running server over HTTP (`--host`, `--token`, like `sluice write` and
 * `sluice query`). Each resolves with what to print, or throws an Error whose message is the
 * server's answer.
 */
import { createInterface } from 'node:readline';

/** The management commands, by their two words. */
export type ManageCommand = 'create database' | 'show databases' | 'delete database' | 'create table' | 'delete table';

/** Parsed flags and positionals of one command. */
export interface ManageArgs {
  values: Record<string, string | boolean>;
  positionals: string[];
}

/** A command line that cannot run as given (no name, a malformed --fields). */
export class ManageUsageError extends Error {}

/** Runs one command against the server; resolves with the text to print. */
export async function runManageCommand(command: ManageCommand, { values, positionals }: ManageArgs): Promise<string> {
  const host = String(values.host);
  const headers = authHeaders(values);
  const name = (what: string): string => {
    if (positionals.length !== 1 || positionals[0] === '') throw new ManageUsageError(`${command}: give the ${what} name as the one argument (sluice ${command} --help)`);
    return positionals[0]!;
  };
  const database = (): string => {
    const db = String(values.database);
    if (db === '') throw new ManageUsageError(`${command}: --database is required`);
    return db;
  };
  switch (command) {
    case 'create database': {
      const db = name('database');
      const body: Record<string, string> = { db };
      if (values['retention-period'] !== '') body.retention_period = String(values['retention-period']);
      await call(host, 'POST', '/api/v3/configure/database', headers, body);
      return `Database ${JSON.stringify(db)} created successfully`;
    }
    case 'show databases': {
      if (positionals.length > 0) throw new ManageUsageError('show databases takes no arguments');
      const params = new URLSearchParams({ format: String(values.format) });
      if (values['show-deleted'] === true) params.set('show_deleted', 'true');
      return (await call(host, 'GET', `/api/v3/configure/database?${params}`, headers)).replace(/\n$/, '');
    }
    case 'delete database': {
      const db = name('database');
      await confirm(`Are you sure you want to delete ${JSON.stringify(db)}? Enter 'yes' or 'y' to confirm`, values.yes === true);
      await call(host, 'DELETE', `/api/v3/configure/database?${new URLSearchParams({ db })}`, headers);
      return `Database ${JSON.stringify(db)} deleted successfully`;
    }
    case 'create table': {
      const table = name('table');
      const db = database();
      const tags = String(values.tags) === '' ? [] : String(values.tags).split(',');
      const fields = String(values.fields) === '' ? [] : String(values.fields).split(',').map(parseField);
      await call(host, 'POST', '/api/v3/configure/table', headers, { db, table, tags, fields });
      return `Table ${JSON.stringify(db)}.${JSON.stringify(table)} created successfully`;
    }
    case 'delete table': {
      const table = name('table');
      const db = database();
      await confirm(`Are you sure you want to delete ${JSON.stringify(db)}.${JSON.stringify(table)}? Enter 'yes' or 'y' to confirm`, values.yes === true);
      await call(host, 'DELETE', `/api/v3/configure/table?${new URLSearchParams({ db, table })}`, headers);
      return `Table ${JSON.stringify(db)}.${JSON.stringify(table)} deleted successfully`;
    }
  }
}

/** The `Authorization` header of `--token` (none when it is empty), for every command that talks to a server. */
export function authHeaders(values: Record<string, string | boolean>): Record<string, string> {
  return values.token === '' ? {} : { Authorization: `Bearer ${String(values.token)}` };
}

/** `name:type` of `--fields`, as InfluxDB 3's CLI takes it. */
function parseField(spec: string): { name: string; type: string } {
  const colon = spec.lastIndexOf(':');
  if (colon <= 0 || colon === spec.length - 1) throw new ManageUsageError(`--fields: ${JSON.stringify(spec)} is not name:type (types: utf8, int64, uint64, float64, bool)`);
  return { name: spec.slice(0, colon), type: spec.slice(colon + 1) };
}

/** Asks on stderr and reads one line of stdin, unless `--yes`; anything but yes/y refuses. */
async function confirm(question: string, isConfirmed: boolean): Promise<void> {
  if (isConfirmed) return;
  process.stderr.write(`${question}\n`);
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  const a = answer.trim().toLowerCase();
  if (a !== 'yes' && a !== 'y') throw new Error('Cannot proceed without confirmation (pass --yes to skip the question)');
}

/** One request; resolves with the answer's text when it is 2xx, else throws with the server's words. */
async function call(host: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<string> {
  let url: URL;
  try {
    url = new URL(path, host);
  } catch {
    throw new ManageUsageError(`--host: ${JSON.stringify(host)} is not a URL`);
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (err) {
    throw new Error(`cannot reach the server at ${url.origin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}: ${text}`);
  return text;
}
