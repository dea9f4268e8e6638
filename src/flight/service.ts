/**
 * Arrow Flight and Flight SQL over gRPC (`arrow.flight.protocol.FlightService`), served by
 * `@grpc/grpc-js` on connections the HTTP listener hands over (see `src/server/listener.ts`):
 * one port for HTTP/1.1 and gRPC.
 *
 * - `DoGet` takes InfluxDB 3's JSON ticket (`{database, sql_query, query_type, params}`) or a
 *   Flight SQL ticket, and streams the answer as it is produced: the schema, then one record
 *   batch per engine chunk, each sent only once the client took the one before (no whole answer
 *   in memory); an answer that produces nothing for 5 s sends an empty batch (keep-alive).
 * - Flight SQL: `GetFlightInfo` for statements, prepared statements and the metadata commands,
 *   `DoAction` CreatePreparedStatement / ClosePreparedStatement, `DoPut` binding a prepared
 *   statement's parameters, `GetSchema`, `Handshake` (Basic credentials answered with the
 *   bearer token), `ListActions`.
 * - The HTTP server's rules hold: tokens (`authorization: Bearer|Token|Basic`), query slots
 *   (`--max-concurrent-queries` and its line), the query timeout, `--max-query-result-bytes`;
 *   errors are gRPC status codes with a message (see `./errors.ts`).
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { RecordBatchReader } from 'apache-arrow';
import type { DuckDBValue } from '@duckdb/node-api';
import type { SluiceDatabase } from '../database/database.js';
import type { QueryColumn, QueryParams } from '../query/engine.js';
import { QueryError } from '../query/errors.js';
import type { WalLogger } from '../wal/notifier.js';
import { OVERDUE_GRACE_MS, queryRefusal, type Admission } from '../server/admission.js';
import { MalformedAuthorizationError, tokenOfAuthorization, type TokenStore } from '../server/auth.js';
import { ArrowResultBuilder, batchMessage, schemaBytes, schemaMessage } from './arrow.js';
import { flightError, FlightStatusError, statusOf } from './errors.js';
import { decodeFlightData, encodeFlightData } from './flight-data.js';
import { runInfluxQLStatement } from './influxql.js';
import { metadataBatch, metadataSchema } from './metadata.js';
import { packAny, pb, type FlightDescriptor, type FlightInfo } from './proto.js';
import { FlightRequestError, parseCommand, statementHandle, type FlightCommand, type StatementTicket } from './tickets.js';
import { FlightWriter } from './writer.js';

/** What the Flight service needs of the server it shares a port with. */
export interface FlightHost {
  /** The database, once it is open (undefined while it replays: UNAVAILABLE). */
  readonly attachedDatabase: SluiceDatabase | undefined;
  /** Why the server cannot serve yet. */
  readonly notReady: string | undefined;
  readonly tokens: TokenStore | undefined;
  readonly queryAdmission: Admission;
  readonly limits: { queryQueueTimeoutMs: number; maxQueryResultBytes: number; flightKeepAliveMs: number };
  readonly logger: WalLogger;
  readonly version: string;
  /** Counts one finished call. */
  observeFlight(method: string, code: grpc.status, ms: number, isQuery: boolean): void;
}

/** Prepared statements kept per server; the oldest goes when more are created. */
const MAX_PREPARED = 1_000;

interface Prepared {
  database: string;
  query: string;
  params?: QueryParams;
}

const SERVICE = '/arrow.flight.protocol.FlightService/';

function method(name: string, requestStream: boolean, responseStream: boolean, decode: (b: Buffer) => unknown, encode: (v: never) => Uint8Array) {
  return {
    path: `${SERVICE}${name}`,
    requestStream,
    responseStream,
    originalName: name,
    requestSerialize: (v: Uint8Array) => Buffer.from(v),
    requestDeserialize: decode,
    responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(encode(v as never))),
    responseDeserialize: (b: Buffer) => b,
  };
}

const raw = (b: Buffer) => b;
const FLIGHT_SERVICE = {
  Handshake: method('Handshake', true, true, raw, pb.HandshakeResponse.encode),
  ListFlights: method('ListFlights', false, true, raw, pb.FlightInfo.encode),
  GetFlightInfo: method('GetFlightInfo', false, false, raw, pb.FlightInfo.encode),
  PollFlightInfo: method('PollFlightInfo', false, false, raw, pb.Empty.encode),
  GetSchema: method('GetSchema', false, false, raw, pb.SchemaResult.encode),
  DoGet: method('DoGet', false, true, raw, (v: Buffer) => v),
  DoPut: method('DoPut', true, true, raw, pb.PutResult.encode),
  DoExchange: method('DoExchange', true, true, raw, (v: Buffer) => v),
  DoAction: method('DoAction', false, true, raw, pb.Result.encode),
  ListActions: method('ListActions', false, true, raw, pb.ActionType.encode),
} as unknown as grpc.ServiceDefinition;

const ACTIONS = [
  { type: 'CreatePreparedStatement', description: 'Creates a reusable prepared statement resource on the server.\nRequest Message: ActionCreatePreparedStatementRequest\nResponse Message: ActionCreatePreparedStatementResult' },
  { type: 'ClosePreparedStatement', description: 'Closes a reusable prepared statement resource on the server.\nRequest Message: ActionClosePreparedStatementRequest\nResponse Message: N/A' },
];

type AnyCall = grpc.ServerUnaryCall<Buffer, unknown> | grpc.ServerWritableStream<Buffer, unknown> | grpc.ServerDuplexStream<Buffer, unknown>;

export class FlightService {
  private readonly server: grpc.Server;
  private readonly injector: ReturnType<grpc.Server['createConnectionInjector']>;
  private readonly prepared = new Map<string, Prepared>();
  private closed = false;

  constructor(private readonly host: FlightHost) {
    this.server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024, 'grpc.keepalive_permit_without_calls': 1 });
    this.server.addService(FLIGHT_SERVICE, this.handlers());
    this.injector = this.server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  }

  /** Serves gRPC on `connection` (an HTTP/2 cleartext connection, its preface not yet read). */
  inject(connection: import('node:stream').Duplex): void {
    if (this.closed) {
      connection.destroy();
      return;
    }
    this.injector.injectConnection(connection);
  }

  /** Stops taking calls, lets running ones finish for up to `graceMs`, then cancels them. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.injector.destroy();
  }

  private handlers(): grpc.UntypedServiceImplementation {
    return {
      Handshake: (call: grpc.ServerDuplexStream<Buffer, unknown>) => this.observe('Handshake', call, false, () => this.handshake(call)),
      ListFlights: (call: grpc.ServerWritableStream<Buffer, unknown>) =>
        this.observe('ListFlights', call, false, async () => {
          await this.authenticate(call);
          call.end();
        }),
      GetFlightInfo: (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) => this.unary('GetFlightInfo', callback, () => this.getFlightInfo(call)),
      PollFlightInfo: (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        this.unary('PollFlightInfo', callback, () => Promise.reject(new FlightStatusError(grpc.status.UNIMPLEMENTED, 'PollFlightInfo is not supported: use GetFlightInfo'))),
      GetSchema: (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) => this.unary('GetSchema', callback, () => this.getSchema(call)),
      DoGet: (call: grpc.ServerWritableStream<Buffer, unknown>) => this.observe('DoGet', call, true, () => this.doGet(call)),
      DoPut: (call: grpc.ServerDuplexStream<Buffer, unknown>) => this.observe('DoPut', call, false, () => this.doPut(call)),
      DoExchange: (call: grpc.ServerDuplexStream<Buffer, unknown>) =>
        this.observe('DoExchange', call, false, () => Promise.reject(new FlightStatusError(grpc.status.UNIMPLEMENTED, 'DoExchange is not supported'))),
      DoAction: (call: grpc.ServerWritableStream<Buffer, unknown>) => this.observe('DoAction', call, false, () => this.doAction(call)),
      ListActions: (call: grpc.ServerWritableStream<Buffer, unknown>) =>
        this.observe('ListActions', call, false, async () => {
          await this.authenticate(call);
          for (const action of ACTIONS) call.write(action);
          call.end();
        }),
    };
  }

  /** Runs a streaming call's work; a failure becomes its status. */
  private observe(name: string, call: grpc.ServerWritableStream<Buffer, unknown> | grpc.ServerDuplexStream<Buffer, unknown>, isQuery: boolean, work: () => Promise<void>): void {
    this.settle(name, isQuery, work, () => undefined, (e) => {
      // A stream's 'error' sets its status and ends it (grpc-js).
      if (!call.cancelled) call.emit('error', e.toServiceError());
    });
  }

  private unary(name: string, callback: grpc.sendUnaryData<unknown>, work: () => Promise<unknown>): void {
    this.settle(name, false, work, (value) => callback(null, value), (e) => callback(e.toServiceError()));
  }

  /** Runs a call's work, counts it by its final status, logs internal errors, then answers. */
  private settle<T>(name: string, isQuery: boolean, work: () => Promise<T>, ok: (value: T) => void, failed: (e: FlightStatusError) => void): void {
    const started = performance.now();
    work().then(
      (value) => {
        this.host.observeFlight(name, grpc.status.OK, performance.now() - started, isQuery);
        ok(value);
      },
      (err: unknown) => {
        const e = flightError(err);
        if (e.code === grpc.status.INTERNAL) this.host.logger.error({ err, method: name }, 'Flight call failed');
        this.host.observeFlight(name, e.code, performance.now() - started, isQuery);
        failed(e);
      },
    );
  }

  // ---- auth and context ------------------------------------------------------------------------

  private database(): SluiceDatabase {
    const db = this.host.attachedDatabase;
    if (db === undefined) throw new FlightStatusError(grpc.status.UNAVAILABLE, `starting: ${this.host.notReady ?? 'opening the database'}`);
    return db;
  }

  /** Requires a valid token while any exists (Bearer, Token or Basic with the token as password); resolves with the token. */
  private async authenticate(call: AnyCall): Promise<string | undefined> {
    const tokens = this.host.tokens;
    // Without tokens the header is not read at all (as the HTTP routes do).
    if (tokens === undefined) return undefined;
    let enabled: boolean;
    try {
      enabled = await tokens.isEnabled();
    } catch (err) {
      throw new FlightStatusError(grpc.status.UNAVAILABLE, `the token store cannot be read: ${(err as Error).message}`);
    }
    if (!enabled) return undefined;
    const token = tokenOf(call.metadata);
    let ok: boolean;
    try {
      ok = token !== undefined && (await tokens.verify(token));
    } catch (err) {
      throw new FlightStatusError(grpc.status.UNAVAILABLE, `the token store cannot be read: ${(err as Error).message}`);
    }
    if (!ok) throw new FlightStatusError(grpc.status.UNAUTHENTICATED, token === undefined ? 'authorization required: send "authorization: Bearer <token>"' : 'invalid token');
    return token;
  }

  /** The database a Flight SQL request names in its headers, as InfluxDB 3 reads them. */
  private headerDatabase(metadata: grpc.Metadata): string | undefined {
    for (const key of ['database', 'bucket', 'bucket-name', 'iox-namespace-name']) {
      const v = metadata.get(key)[0];
      if (typeof v === 'string' && v !== '') return v;
    }
    return undefined;
  }

  private requireDatabase(metadata: grpc.Metadata): string {
    const db = this.headerDatabase(metadata);
    if (db === undefined) throw new FlightRequestError('no database: send the "database" header (Flight SQL) or name it in the ticket');
    return db;
  }

  // ---- calls -----------------------------------------------------------------------------------

  private async handshake(call: grpc.ServerDuplexStream<Buffer, unknown>): Promise<void> {
    const token = await this.authenticate(call);
    if (token !== undefined) {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      call.sendMetadata(md);
    }
    // Read without destroying the call at the end (a plain for-await would, before the answer).
    for await (const message of call.iterator({ destroyOnReturn: false })) {
      decodeMessage('HandshakeRequest', message as Buffer, pb.HandshakeRequest.decode);
      call.write({ protocol_version: 0, payload: new Uint8Array(0) });
    }
    call.end();
  }

  private async getFlightInfo(call: grpc.ServerUnaryCall<Buffer, unknown>): Promise<Uint8Array> {
    await this.authenticate(call);
    const descriptor = decodeDescriptor(call.request);
    const command = parseCommand(descriptor.cmd, this.headerDatabase(call.metadata));
    let ticket: Uint8Array;
    let schema: Uint8Array;
    switch (command.kind) {
      case 'sqlStatement': {
        const database = this.requireDatabase(call.metadata);
        ticket = packAny('TicketStatementQuery', { statement_handle: statementHandle(database, command.query) });
        schema = await this.describe(database, command.query, undefined, call);
        break;
      }
      case 'statement':
        ticket = descriptor.cmd;
        schema = command.language === 'sql' ? await this.describe(command.database, command.query, command.params, call) : new Uint8Array(0);
        break;
      case 'prepared': {
        const prepared = this.preparedOf(command.handle);
        ticket = descriptor.cmd;
        schema = await this.describe(prepared.database, prepared.query, prepared.params, call).catch(() => new Uint8Array(0));
        break;
      }
      default:
        ticket = descriptor.cmd;
        schema = schemaBytes(metadataSchema(command));
    }
    const info: FlightInfo = { schema, flight_descriptor: descriptor, endpoint: [{ ticket: { ticket }, location: [] }], total_records: -1, total_bytes: -1, ordered: false };
    return pb.FlightInfo.encode(info);
  }

  private async getSchema(call: grpc.ServerUnaryCall<Buffer, unknown>): Promise<Uint8Array> {
    await this.authenticate(call);
    const descriptor = decodeDescriptor(call.request);
    const command = parseCommand(descriptor.cmd, this.headerDatabase(call.metadata));
    let schema: Uint8Array;
    if (command.kind === 'sqlStatement') schema = await this.describe(this.requireDatabase(call.metadata), command.query, undefined, call);
    else if (command.kind === 'statement') {
      if (command.language !== 'sql') throw new FlightRequestError('GetSchema answers SQL statements only');
      schema = await this.describe(command.database, command.query, command.params, call);
    } else if (command.kind === 'prepared') {
      const p = this.preparedOf(command.handle);
      schema = await this.describe(p.database, p.query, p.params, call);
    } else schema = schemaBytes(metadataSchema(command));
    return pb.SchemaResult.encode({ schema });
  }

  /**
   * The Arrow schema of a statement's answer. `plan` takes it from the plan, never running the
   * statement (GetSchema, GetFlightInfo: the DoGet that follows runs it); `run` runs it until its
   * columns are known, so a statement that fails as it starts (a cast of a bad constant) is refused
   * now (CreatePreparedStatement). A statement with unbound parameters runs in either mode.
   */
  private async describe(database: string, query: string, params: QueryParams | undefined, call: AnyCall, mode: 'plan' | 'run' = 'plan'): Promise<Uint8Array> {
    const db = this.database();
    let columns: QueryColumn[] | undefined;
    const stop = new AbortController();
    const cancel = () => stop.abort('cancelled');
    const events = call as unknown as import('node:events').EventEmitter;
    events.on('cancelled', cancel);
    try {
      await this.withQuerySlot(stop.signal, () =>
        db.query.stream(database, query, params, {
          startEarly: mode === 'plan',
          start: (c) => {
            columns = c;
            stop.abort('described');
          },
          rows: async () => undefined,
        }, { signal: stop.signal, ...(mode === 'plan' ? { logAs: 'none' as const } : {}) }),
      );
    } catch (err) {
      if (columns === undefined) throw err;
    } finally {
      events.off('cancelled', cancel);
    }
    return schemaBytes(new ArrowResultBuilder(columns ?? []).schema);
  }

  private async doGet(call: grpc.ServerWritableStream<Buffer, unknown>): Promise<void> {
    await this.authenticate(call);
    const command = parseCommand(decodeMessage('Ticket', call.request, pb.Ticket.decode).ticket, this.headerDatabase(call.metadata));
    const writer = new FlightWriter(call, this.host.limits.maxQueryResultBytes, this.host.limits.flightKeepAliveMs);
    try {
      switch (command.kind) {
        case 'statement':
          await this.answerStatement(command, call, writer);
          break;
        case 'sqlStatement':
          await this.answerStatement({ kind: 'statement', database: this.requireDatabase(call.metadata), language: 'sql', query: command.query }, call, writer);
          break;
        case 'prepared': {
          const p = this.preparedOf(command.handle);
          await this.answerStatement({ kind: 'statement', database: p.database, language: 'sql', query: p.query, ...(p.params === undefined ? {} : { params: p.params }) }, call, writer);
          break;
        }
        default: {
          const name = command.kind === 'tables' ? this.headerDatabase(call.metadata) : undefined;
          const database = name === undefined ? undefined : this.database().catalog.database(name);
          if (command.kind === 'tables' && name !== undefined && database === undefined) throw new QueryError('DATABASE_NOT_FOUND', `database not found: ${JSON.stringify(name)}`);
          const batch = metadataBatch(command, database, this.host.version);
          await writer.send(schemaMessage(batch.schema));
          await writer.send(batchMessage(batch));
        }
      }
      call.end();
    } finally {
      writer.close();
    }
  }

  /** Runs one statement in a query slot and streams its answer. */
  private async answerStatement(ticket: StatementTicket, call: grpc.ServerWritableStream<Buffer, unknown>, writer: FlightWriter): Promise<void> {
    const db = this.database();
    const gone = new AbortController();
    call.on('cancelled', () => gone.abort('cancelled'));
    await this.withQuerySlot(gone.signal, async () => {
      let builder: ArrowResultBuilder | undefined;
      const start = async (columns: QueryColumn[]) => {
        builder = new ArrowResultBuilder(columns);
        writer.keepAlive(() => batchMessage(builder!.batch(columns.map(() => []), 0)));
        await writer.send(schemaMessage(builder.schema));
      };
      const rows = async (columns: readonly (readonly DuckDBValue[])[], count: number) => {
        await writer.send(batchMessage(builder!.batch(columns, count)));
      };
      if (ticket.language === 'sql') {
        await db.query.stream(ticket.database, ticket.query, ticket.params, { startEarly: true, start, rows: (chunk) => writer.send(batchMessage(builder!.chunkBatch(chunk))) }, { signal: gone.signal });
      } else {
        await runInfluxQLStatement(db, ticket, gone.signal, { start, rows });
      }
    });
  }

  /** Holds a query slot (as the HTTP query routes do) while `run` runs. */
  private async withQuerySlot<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    const admission = this.host.queryAdmission;
    if (!(await admission.acquire(1, this.host.limits.queryQueueTimeoutMs, signal))) {
      if (signal.aborted) throw new QueryError('CANCELLED', 'the query was cancelled (the client went away)');
      throw new FlightStatusError(grpc.status.RESOURCE_EXHAUSTED, queryRefusal(admission));
    }
    const started = performance.now();
    const overdue = () => this.host.logger.error({ elapsedMs: Math.round(performance.now() - started), clientGone: signal.aborted }, 'Flight query still holds its slot past its timeout: slot given back');
    return admission.holding(1, this.database().query.timeoutMs + OVERDUE_GRACE_MS, overdue, run);
  }

  private async doAction(call: grpc.ServerWritableStream<Buffer, unknown>): Promise<void> {
    await this.authenticate(call);
    const action = decodeMessage('Action', call.request, pb.Action.decode);
    switch (action.type) {
      case 'CreatePreparedStatement': {
        const request = unpack(action.body, 'ActionCreatePreparedStatementRequest', pb.ActionCreatePreparedStatementRequest.decode);
        const database = this.requireDatabase(call.metadata);
        // The statement must be one this database can run: checked now, as InfluxDB 3 plans it now.
        const datasetSchema = await this.describe(database, request.query, undefined, call, 'run').catch((err: unknown) => {
          // A statement with parameters cannot run before they are bound: its schema comes later.
          if (err instanceof QueryError && /Values were not provided for the following prepared statement parameters/.test(err.message)) return new Uint8Array(0);
          throw err;
        });
        const handle = randomUUID();
        this.prepared.set(handle, { database, query: request.query });
        if (this.prepared.size > MAX_PREPARED) this.prepared.delete(this.prepared.keys().next().value!);
        call.write({ body: packAny('ActionCreatePreparedStatementResult', { prepared_statement_handle: Buffer.from(handle), dataset_schema: datasetSchema, parameter_schema: new Uint8Array(0) }) });
        break;
      }
      case 'ClosePreparedStatement': {
        const request = unpack(action.body, 'ActionClosePreparedStatementRequest', pb.ActionClosePreparedStatementRequest.decode);
        this.prepared.delete(Buffer.from(request.prepared_statement_handle).toString('utf8'));
        break;
      }
      default:
        throw new FlightStatusError(grpc.status.UNIMPLEMENTED, `action ${JSON.stringify(action.type.slice(0, 100))} is not supported (ListActions lists the supported ones)`);
    }
    call.end();
  }

  /** DoPut: parameters for a prepared statement, as Arrow batches after a descriptor naming it. */
  private async doPut(call: grpc.ServerDuplexStream<Buffer, unknown>): Promise<void> {
    await this.authenticate(call);
    let command: FlightCommand | undefined;
    const messages: Uint8Array[] = [];
    let bytes = 0;
    for await (const raw of call.iterator({ destroyOnReturn: false })) {
      const data = decodeFlightData(raw as Buffer);
      if (command === undefined) {
        if (data.descriptor === undefined) throw new FlightRequestError('DoPut: the first message carries no descriptor');
        command = parseCommand(data.descriptor.cmd, this.headerDatabase(call.metadata));
        if (command.kind !== 'prepared') throw new FlightStatusError(grpc.status.UNIMPLEMENTED, 'DoPut takes only prepared statement parameters (CommandPreparedStatementQuery): Sluice is written to through its HTTP write APIs');
      }
      bytes += data.header.length + data.body.length;
      if (bytes > 16 * 1024 * 1024) throw new FlightRequestError('DoPut: parameters larger than 16 MiB');
      if (data.header.length > 0) messages.push(ipcFrame(data.header), data.body);
    }
    if (command === undefined || command.kind !== 'prepared') throw new FlightRequestError('DoPut: no descriptor');
    const prepared = this.preparedOf(command.handle);
    prepared.params = parametersOf(messages);
    call.write({ app_metadata: pb.DoPutPreparedStatementResult.encode({ prepared_statement_handle: Buffer.from(command.handle) }) });
    call.end();
  }

  private preparedOf(handle: string): Prepared {
    const p = this.prepared.get(handle);
    if (p === undefined) throw new FlightStatusError(grpc.status.NOT_FOUND, 'prepared statement not found (closed, or the server restarted): prepare it again');
    return p;
  }
}

/** The token of a call's metadata: `authorization: Bearer|Token <t>` or Basic with the token as the password. */
function tokenOf(metadata: grpc.Metadata): string | undefined {
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string') return undefined;
  try {
    return tokenOfAuthorization(header);
  } catch (err) {
    if (!(err instanceof MalformedAuthorizationError)) throw err;
    throw new FlightStatusError(grpc.status.UNAUTHENTICATED, `authorization header is malformed: ${err.message}`);
  }
}

/** Decodes a request message; malformed bytes are the client's error (INVALID_ARGUMENT), naming the message. */
function decodeMessage<T>(name: string, bytes: Uint8Array, decode: (b: Uint8Array) => T): T {
  try {
    return decode(bytes);
  } catch (err) {
    throw new FlightRequestError(`malformed ${name}: ${(err as Error).message}`);
  }
}

function decodeDescriptor(bytes: Buffer): FlightDescriptor {
  const d = decodeMessage('FlightDescriptor', bytes, pb.FlightDescriptor.decode);
  if (d.type !== 'CMD' && d.type !== 2) throw new FlightRequestError('only CMD descriptors are supported (Sluice has no PATH datasets)');
  return d;
}

function unpack<T>(bytes: Uint8Array, message: string, decode: (b: Uint8Array) => T): T {
  try {
    const any = pb.Any.decode(bytes);
    if (!any.type_url.endsWith(`.${message}`)) throw new Error(`expected ${message}, got ${any.type_url.slice(0, 200)}`);
    return decode(any.value);
  } catch (err) {
    throw new FlightRequestError(`malformed action body: ${(err as Error).message}`);
  }
}

/** An IPC message's prefix: continuation marker and metadata length. */
function ipcFrame(header: Uint8Array): Uint8Array {
  const frame = new Uint8Array(8 + header.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, header.length, true);
  frame.set(header, 8);
  return frame;
}

/** The parameters of the first row of DoPut's batches, by position ($1, $2, …). */
function parametersOf(messages: Uint8Array[]): QueryParams {
  let table;
  try {
    const reader = RecordBatchReader.from(Buffer.concat([...messages, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]));
    const batches = [...reader];
    if (batches.length === 0 || batches[0]!.numRows === 0) return [];
    table = batches[0]!;
  } catch (err) {
    throw new FlightRequestError(`DoPut: parameters are not a readable Arrow stream: ${(err as Error).message}`);
  }
  const values: DuckDBValue[] = [];
  for (let c = 0; c < table.numCols; c++) {
    const v = table.getChildAt(c)!.get(0) as unknown;
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') values.push(v);
    else if (typeof v === 'number') values.push(v);
    else throw new FlightRequestError(`DoPut: parameter ${c + 1} has an unsupported type (${table.schema.fields[c]!.type.toString()})`);
  }
  return values;
}

export { statusOf };
