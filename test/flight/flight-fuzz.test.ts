/**
 * The Flight boundary under hostile input: generated and mutated tickets (InfluxDB 3's JSON,
 * Flight SQL commands in `Any`, random bytes) through `DoGet`, descriptors through
 * `GetFlightInfo`, actions through `DoAction`, and raw HTTP/2 garbage after the preface, against
 * one in-process server. Every call must end with one of the documented gRPC statuses (never
 * INTERNAL or UNKNOWN), within the query timeout plus a second; the server keeps serving HTTP and
 * Flight; the data reads back unchanged. Prints its counts and seed; `SEED=…` replays,
 * `FUZZ_SCALE=k` multiplies the count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { packAny, pb } from '../../src/flight/proto.js';
import { SluiceServer } from '../../src/server/http.js';
import { tempDatabase } from '../support/db-helpers.js';
import { rawFlightMethod } from '../support/flight-raw.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const CALLS = Math.round(6_000 * SCALE);
const CONCURRENCY = 8;
const QUERY_TIMEOUT_MS = 3_000;

/** Statuses a call may end with; INTERNAL and UNKNOWN are bugs. */
const ALLOWED = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.UNIMPLEMENTED, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.UNAUTHENTICATED]);

const Client = grpc.makeGenericClientConstructor({ DoGet: rawFlightMethod('DoGet', true), GetFlightInfo: rawFlightMethod('GetFlightInfo', false), DoAction: rawFlightMethod('DoAction', true), GetSchema: rawFlightMethod('GetSchema', false) } as unknown as grpc.ServiceDefinition, 'FlightService');
type FuzzClient = grpc.Client & {
  DoGet(b: Buffer, md: grpc.Metadata): grpc.ClientReadableStream<Buffer>;
  DoAction(b: Buffer, md: grpc.Metadata): grpc.ClientReadableStream<Buffer>;
  GetFlightInfo(b: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void): void;
  GetSchema(b: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void): void;
};

const SQL = [
  'SELECT * FROM cpu',
  'SELECT host, avg(usage) FROM cpu GROUP BY host',
  'SELECT count(*) FROM cpu WHERE time > now() - INTERVAL 1 DAY',
  'SELECT * FROM cpu WHERE host = $host',
  'SELECT $1',
  'SELECT * FROM nope',
  'SELECT * FROM range(100000)',
  "SELECT repeat('x', 1000) FROM range(1000)",
  'SELECT 1/0',
  "SELECT 'a'::INT",
  'DROP TABLE cpu',
  'SELECT * FROM db_1.cpu',
  "SELECT * FROM read_csv('/etc/passwd')",
  'SELECT count(*) FROM range(10000000000)',
  'SELECT',
  '',
  'SELECT [1, 2], {\'a\': 1}, INTERVAL 1 DAY, 1.5::DECIMAL(10,2), \'2024-01-01\'::DATE, NULL',
];
const INFLUXQL = ['SELECT * FROM cpu', 'SELECT mean(usage) FROM cpu GROUP BY time(1h), host', 'SHOW MEASUREMENTS', 'SHOW DATABASES', 'SELECT * FROM', 'DROP DATABASE db1', 'SELECT usage FROM cpu; SELECT 1'];

function pick<T>(rng: SeededRng, items: readonly T[]): T {
  return items[rng.nextInt(items.length)]!;
}

function mutate(rng: SeededRng, bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  const kind = rng.nextInt(4);
  if (out.length === 0 || kind === 0) return Buffer.concat([out, Buffer.from(rng.bytes(1 + rng.nextInt(8)))]);
  if (kind === 1) return out.subarray(0, rng.nextInt(out.length));
  if (kind === 2) {
    out[rng.nextInt(out.length)] = rng.nextInt(256);
    return out;
  }
  const at = rng.nextInt(out.length);
  return Buffer.concat([out.subarray(0, at), Buffer.from(rng.bytes(1 + rng.nextInt(4))), out.subarray(at)]);
}

/** A ticket or command, valid or not. */
function payload(rng: SeededRng): Buffer {
  let body: Uint8Array;
  switch (rng.nextInt(7)) {
    case 0:
    case 1: {
      const ticket: Record<string, unknown> = { database: pick(rng, ['db1', 'db1', 'nope', '', 'DB1']), sql_query: pick(rng, SQL), query_type: pick(rng, ['sql', 'sql', 'influxql', 'flux', 1]) };
      if (ticket.query_type === 'influxql') ticket.sql_query = pick(rng, INFLUXQL);
      if (rng.nextInt(3) === 0) ticket.params = pick(rng, [{ host: 'a' }, { host: 1 }, { host: [1] }, [1], null, { $1: 'x' }]);
      if (rng.nextInt(5) === 0) delete ticket.database;
      body = Buffer.from(JSON.stringify(ticket));
      break;
    }
    case 2:
      body = packAny('CommandStatementQuery', { query: pick(rng, SQL) });
      break;
    case 3:
      body = pick(rng, [packAny('CommandGetCatalogs', {}), packAny('CommandGetDbSchemas', { db_schema_filter_pattern: pick(rng, ['%', 'io_', '\\', '[', '']) }), packAny('CommandGetTables', { table_name_filter_pattern: pick(rng, ['c%', '%', '(', '\\%']), include_schema: true, table_types: [] }), packAny('CommandGetTableTypes', {}), packAny('CommandGetSqlInfo', { info: [0, 1, 99999] })]);
      break;
    case 4:
      body = packAny('CommandPreparedStatementQuery', { prepared_statement_handle: Buffer.from(pick(rng, ['nope', '', '\u0000'])) });
      break;
    case 5:
      body = pb.Any.encode({ type_url: pick(rng, ['type.googleapis.com/arrow.flight.protocol.sql.CommandGetXdbcTypeInfo', 'x', '']), value: rng.bytes(rng.nextInt(20)) });
      break;
    default:
      body = rng.bytes(rng.nextInt(64));
  }
  return rng.nextInt(3) === 0 ? mutate(rng, body) : Buffer.from(body);
}

function statusOf(err: grpc.ServiceError | null): grpc.status {
  return err === null ? grpc.status.OK : err.code;
}

test(`flight fuzz: ${CALLS} generated and mutated tickets, descriptors and actions end with a documented gRPC status; HTTP/2 garbage never takes the server down`, { timeout: 300_000 }, async () => {
  const seed = testSeed();
  console.log(`# flight fuzz seed=${seed} (replay with SEED=${seed})`);
  const env = await tempDatabase({ queryTimeoutMs: QUERY_TIMEOUT_MS });
  const server = new SluiceServer({ db: env.db, maxQueryResultBytes: 8 * 1024 * 1024 });
  const { port } = await server.listen('127.0.0.1', 0);
  const clients = Array.from({ length: CONCURRENCY }, () => new (Client as unknown as new (a: string, c: grpc.ChannelCredentials) => FuzzClient)(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const failures: string[] = [];
  let slowestMs = 0;
  try {
    await env.db.writer.writeLp('db1', Buffer.from(Array.from({ length: 500 }, (_, i) => `cpu,host=h${i % 5} usage=${i / 7},n=${i}i ${1_700_000_000 + i}`).join('\n')), { precision: 's' });
    const fingerprint = async () => JSON.stringify((await env.db.query.query('db1', 'SELECT count(*), sum(usage), sum(n) FROM cpu')).rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const before = await fingerprint();
    let next = 0;
    const lane = async (client: FuzzClient, laneNo: number) => {
      const rng = new SeededRng((seed + laneNo * 0x9e3779b1) >>> 0);
      for (;;) {
        const i = next++;
        if (i >= CALLS) return;
        const md = new grpc.Metadata();
        if (rng.nextInt(4) !== 0) md.set('database', pick(rng, ['db1', 'nope', '']));
        if (rng.nextInt(10) === 0) md.set('authorization', pick(rng, ['Bearer x', 'Basic !!', 'nonsense', 'Token']));
        const call = pick(rng, ['DoGet', 'DoGet', 'DoGet', 'GetFlightInfo', 'GetSchema', 'DoAction']);
        let request: Buffer;
        if (call === 'DoGet') request = Buffer.from(pb.Ticket.encode({ ticket: payload(rng) }));
        else if (call === 'DoAction') request = Buffer.from(pb.Action.encode({ type: pick(rng, ['CreatePreparedStatement', 'ClosePreparedStatement', 'BeginTransaction', '']), body: rng.nextInt(2) === 0 ? packAny('ActionCreatePreparedStatementRequest', { query: pick(rng, SQL) }) : payload(rng) }));
        else request = Buffer.from(pb.FlightDescriptor.encode({ type: pick(rng, [2, 2, 1, 0]), cmd: payload(rng), path: [] }));
        if (rng.nextInt(8) === 0) request = mutate(rng, request);
        const started = performance.now();
        let details = '';
        const code = await new Promise<grpc.status>((resolve) => {
          if (call === 'GetFlightInfo' || call === 'GetSchema') {
            client[call](request, md, (err) => {
              details = err?.details ?? '';
              resolve(statusOf(err));
            });
          } else {
            const stream = client[call as 'DoGet' | 'DoAction'](request, md);
            stream.on('data', () => undefined);
            stream.on('error', (err: grpc.ServiceError) => {
              details = err.details;
              resolve(err.code);
            });
            stream.on('end', () => resolve(grpc.status.OK));
          }
        });
        const ms = performance.now() - started;
        slowestMs = Math.max(slowestMs, ms);
        bump(`${call}:${grpc.status[code]}`);
        if (!ALLOWED.has(code)) failures.push(`${call} ended ${grpc.status[code]} (${details.slice(0, 200)}) for ${JSON.stringify(request.toString('latin1').slice(0, 300))}`);
        if (ms > QUERY_TIMEOUT_MS + 10_000 + 1_000) failures.push(`${call} took ${ms.toFixed(0)} ms for ${JSON.stringify(request.toString('latin1').slice(0, 300))}`);
      }
    };
    // Raw HTTP/2 garbage beside the calls: the preface, then random frames, then gone.
    const garbage = async () => {
      const rng = new SeededRng((seed ^ 0x5bd1e995) >>> 0);
      for (let i = 0; i < 200 * SCALE; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(Number(port), '127.0.0.1', () => {
            socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from(rng.bytes(rng.nextInt(200)))]));
            setTimeout(() => socket.destroy(), rng.nextInt(20));
          });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve());
        });
        bump('raw-h2:sent');
      }
    };
    await Promise.all([...clients.map((c, n) => lane(c, n)), garbage()]);
    // Still serving, both protocols; the data unchanged.
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    const ok = await new Promise<grpc.status>((resolve) => {
      const s = clients[0]!.DoGet(Buffer.from(pb.Ticket.encode({ ticket: Buffer.from(JSON.stringify({ database: 'db1', sql_query: 'SELECT count(*) FROM cpu' })) })), new grpc.Metadata());
      s.on('data', () => undefined);
      s.on('error', (e: grpc.ServiceError) => resolve(e.code));
      s.on('end', () => resolve(grpc.status.OK));
    });
    assert.equal(ok, grpc.status.OK);
    assert.equal(await fingerprint(), before, 'the data reads back unchanged');
    assert.equal(server.queryAdmission.bytesInFlight, 0, 'every query slot came back');
  } finally {
    for (const c of clients) c.close();
    await server.close();
    await env.cleanup();
  }
  console.log(`# flight fuzz: ${CALLS} calls, slowest ${slowestMs.toFixed(0)} ms; by call and status: ${[...counts].sort().map(([k, v]) => `${k}×${v}`).join(' ')}`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} calls ended badly (seed ${seed})`);
});
