/**
 * The tests' own Arrow Flight / Flight SQL client: the published protocol (./protos/Flight.proto
 * and ./protos/FlightSql.proto) loaded with @grpc/proto-loader and driven through
 * @grpc/grpc-js's generic client, answers decoded with apache-arrow. Nothing here comes from
 * src/flight: it checks the server from the outside, as any Flight SQL client would.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { Message, MessageHeader, RecordBatchReader, Table, tableToIPC, type RecordBatch, type Schema } from 'apache-arrow';

const FLIGHT_PROTO = fileURLToPath(new URL('./protos/Flight.proto', import.meta.url));
const FLIGHT_SQL_PROTO = fileURLToPath(new URL('./protos/FlightSql.proto', import.meta.url));

const definition = protoLoader.loadSync([FLIGHT_PROTO, FLIGHT_SQL_PROTO], { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as { arrow: { flight: { protocol: { FlightService: grpc.ServiceClientConstructor } } } };
const FlightServiceClient = loaded.arrow.flight.protocol.FlightService;

/** The same files read by protobufjs, for the messages that travel inside `Any` and `bytes`. */
const root = new protobuf.Root().loadSync([FLIGHT_PROTO, FLIGHT_SQL_PROTO, 'google/protobuf/any.proto'], { keepCase: true });
const AnyType = root.lookupType('google.protobuf.Any');

export const SQL_TYPE_URL_PREFIX = 'type.googleapis.com/arrow.flight.protocol.sql.';

// ---- messages ------------------------------------------------------------------------------------

export interface FlightDescriptor {
  type: string;
  cmd: Buffer;
  path: string[];
}
export interface FlightEndpoint {
  ticket: { ticket: Buffer } | null;
  location: Array<{ uri: string }>;
  app_metadata: Buffer;
}
export interface FlightInfo {
  schema: Buffer;
  flight_descriptor: FlightDescriptor | null;
  endpoint: FlightEndpoint[];
  total_records: string;
  total_bytes: string;
  ordered: boolean;
  app_metadata: Buffer;
}
export interface FlightData {
  flight_descriptor: FlightDescriptor | null;
  data_header: Buffer;
  app_metadata: Buffer;
  data_body: Buffer;
}
export interface FlightDataIn {
  flight_descriptor?: { type: 'CMD' | 'PATH'; cmd: Uint8Array; path?: string[] };
  data_header?: Uint8Array;
  app_metadata?: Uint8Array;
  data_body?: Uint8Array;
}

/** A Flight SQL message (by its name in arrow.flight.protocol.sql) as protobuf bytes. */
export function encodeSql(message: string, value: Record<string, unknown>): Buffer {
  const type = root.lookupType(`arrow.flight.protocol.sql.${message}`);
  const err = type.verify(value);
  if (err !== null) throw new Error(`${message}: ${err}`);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/** A Flight SQL message decoded from protobuf bytes (bytes as Buffers, defaults filled in). */
export function decodeSql<T = Record<string, unknown>>(message: string, bytes: Uint8Array): T {
  const type = root.lookupType(`arrow.flight.protocol.sql.${message}`);
  return type.toObject(type.decode(bytes), { longs: String, defaults: true }) as T;
}

/** A Flight SQL command packed in `google.protobuf.Any`, as descriptors and action bodies carry it. */
export function packAny(message: string, value: Record<string, unknown> = {}): Buffer {
  return Buffer.from(AnyType.encode(AnyType.fromObject({ type_url: `${SQL_TYPE_URL_PREFIX}${message}`, value: encodeSql(message, value) })).finish());
}

/** Unpacks an `Any`, checking it holds `message`. */
export function unpackAny<T = Record<string, unknown>>(message: string, bytes: Uint8Array): T {
  const any = AnyType.toObject(AnyType.decode(bytes), { defaults: true }) as { type_url: string; value: Uint8Array };
  if (any.type_url !== `${SQL_TYPE_URL_PREFIX}${message}`) throw new Error(`expected Any(${message}), got ${any.type_url}`);
  return decodeSql<T>(message, any.value);
}

/** The type URL of an `Any`. */
export function anyTypeUrl(bytes: Uint8Array): string {
  return (AnyType.decode(bytes) as unknown as { type_url: string }).type_url;
}

// ---- Arrow IPC over Flight -----------------------------------------------------------------------

const CONTINUATION = 0xffffffff;

/** A stream of IPC messages reassembled from FlightData: marker, header length, header, body each; end-of-stream after. */
export function ipcStream(messages: readonly FlightData[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of messages) {
    if (m.data_header.length === 0) continue; // a message with no IPC payload (e.g. app_metadata only)
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(CONTINUATION, 0);
    prefix.writeInt32LE(m.data_header.length, 4);
    parts.push(prefix, m.data_header, m.data_body);
  }
  const eos = Buffer.alloc(8);
  eos.writeUInt32LE(CONTINUATION, 0);
  parts.push(eos);
  return Buffer.concat(parts);
}

/** The record batches of a DoGet answer (its schema included, even with no batch). */
export function readAnswer(messages: readonly FlightData[]): { schema: Schema; batches: RecordBatch[]; table: Table } {
  const reader = RecordBatchReader.from(ipcStream(messages));
  reader.open();
  const schema = reader.schema;
  const batches = [...reader];
  return { schema, batches, table: new Table(schema, batches) };
}

/** A schema as FlightInfo.schema, SchemaResult.schema and GetTables' table_schema hold it: an encapsulated IPC schema message. */
export function readSchema(bytes: Uint8Array): Schema {
  if (bytes.length < 8) throw new Error(`schema bytes too short (${bytes.length})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== CONTINUATION) throw new Error('schema bytes do not open with the IPC continuation marker');
  const length = view.getInt32(4, true);
  if (8 + length > bytes.length) throw new Error(`schema message of ${length} bytes in ${bytes.length} bytes`);
  const message = Message.decode(bytes.subarray(8, 8 + length));
  if (message.headerType !== MessageHeader.Schema) throw new Error(`expected a Schema message, got header type ${message.headerType}`);
  const eos = Buffer.alloc(8);
  eos.writeUInt32LE(CONTINUATION, 0);
  const reader = RecordBatchReader.from(Buffer.concat([bytes.subarray(0, 8 + length), eos]));
  reader.open();
  return reader.schema;
}

/** An Arrow table as the FlightData messages of an IPC stream (schema, then batches; no end-of-stream). */
export function flightDataOf(table: Table): Array<{ data_header: Buffer; data_body: Buffer }> {
  const bytes = tableToIPC(table, 'stream');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<{ data_header: Buffer; data_body: Buffer }> = [];
  let at = 0;
  while (at + 8 <= bytes.length) {
    if (view.getUint32(at, true) !== CONTINUATION) throw new Error(`IPC stream: no continuation marker at ${at}`);
    const length = view.getInt32(at + 4, true);
    if (length === 0) break;
    const header = bytes.subarray(at + 8, at + 8 + length);
    const bodyLength = Number(Message.decode(header).bodyLength);
    const body = bytes.subarray(at + 8 + length, at + 8 + length + bodyLength);
    out.push({ data_header: Buffer.from(header), data_body: Buffer.from(body) });
    at += 8 + length + bodyLength;
  }
  return out;
}

// ---- the client ----------------------------------------------------------------------------------

export interface CallOptions {
  /** Overrides the client's token; null sends no authorization header. */
  token?: string | null;
  /** Overrides the client's database; null sends no database header. */
  database?: string | null;
  /** Raw headers added to the call. */
  headers?: Record<string, string>;
  deadlineMs?: number;
}

type Unary<Req, Res> = (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, value?: Res) => void) => grpc.ClientUnaryCall;
type ServerStream<Req, Res> = (request: Req, metadata: grpc.Metadata, options?: grpc.CallOptions) => grpc.ClientReadableStream<Res>;
type Duplex<Req, Res> = (metadata: grpc.Metadata, options?: grpc.CallOptions) => grpc.ClientDuplexStream<Req, Res>;

interface RawClient extends grpc.Client {
  GetFlightInfo: Unary<unknown, FlightInfo>;
  GetSchema: Unary<unknown, { schema: Buffer }>;
  PollFlightInfo: Unary<unknown, unknown>;
  DoGet: ServerStream<{ ticket: Uint8Array }, FlightData>;
  DoAction: ServerStream<{ type: string; body: Uint8Array }, { body: Buffer }>;
  ListActions: ServerStream<Record<string, never>, { type: string; description: string }>;
  ListFlights: ServerStream<{ expression: Uint8Array }, FlightInfo>;
  DoPut: Duplex<FlightDataIn, { app_metadata: Buffer }>;
  Handshake: Duplex<{ protocol_version: number; payload: Uint8Array }, { protocol_version: string; payload: Buffer }>;
}

export class FlightSqlClient {
  readonly raw: RawClient;

  constructor(
    address: string,
    readonly defaults: { token?: string; database?: string; deadlineMs?: number } = {},
  ) {
    this.raw = new FlightServiceClient(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }) as unknown as RawClient;
  }

  close(): void {
    this.raw.close();
  }

  metadata(options: CallOptions = {}): grpc.Metadata {
    const md = new grpc.Metadata();
    const token = options.token === undefined ? this.defaults.token : options.token;
    const database = options.database === undefined ? this.defaults.database : options.database;
    if (token !== undefined && token !== null) md.set('authorization', `Bearer ${token}`);
    if (database !== undefined && database !== null) md.set('database', database);
    for (const [k, v] of Object.entries(options.headers ?? {})) md.set(k, v);
    return md;
  }

  /** Every call has a deadline (default 20 s): a call the server never finishes fails instead of hanging the test. */
  private callOptions(options: CallOptions): grpc.CallOptions {
    return { deadline: Date.now() + (options.deadlineMs ?? this.defaults.deadlineMs ?? 20_000) };
  }

  getFlightInfo(cmd: Uint8Array, options: CallOptions = {}): Promise<FlightInfo> {
    return new Promise((resolve, reject) => {
      this.raw.GetFlightInfo({ type: 'CMD', cmd, path: [] }, this.metadata(options), this.callOptions(options), (err, value) => (err ? reject(err) : resolve(value!)));
    });
  }

  getSchema(cmd: Uint8Array, options: CallOptions = {}): Promise<Schema> {
    return new Promise((resolve, reject) => {
      this.raw.GetSchema({ type: 'CMD', cmd, path: [] }, this.metadata(options), this.callOptions(options), (err, value) => (err ? reject(err) : resolve(readSchema(value!.schema))));
    });
  }

  pollFlightInfo(cmd: Uint8Array, options: CallOptions = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.raw.PollFlightInfo({ type: 'CMD', cmd, path: [] }, this.metadata(options), this.callOptions(options), (err, value) => (err ? reject(err) : resolve(value)));
    });
  }

  /** DoGet, every FlightData of the answer collected. */
  doGetMessages(ticket: Uint8Array, options: CallOptions = {}): Promise<FlightData[]> {
    return collect(this.raw.DoGet({ ticket }, this.metadata(options), this.callOptions(options)));
  }

  /** DoGet, the answer decoded. */
  async doGet(ticket: Uint8Array, options: CallOptions = {}) {
    return readAnswer(await this.doGetMessages(ticket, options));
  }

  /** DoGet as a stream, to read part of it (and cancel). */
  doGetStream(ticket: Uint8Array, options: CallOptions = {}): grpc.ClientReadableStream<FlightData> {
    return this.raw.DoGet({ ticket }, this.metadata(options), this.callOptions(options));
  }

  /** GetFlightInfo for a command, then DoGet of its single endpoint's ticket. */
  async query(cmd: Uint8Array, options: CallOptions = {}) {
    const info = await this.getFlightInfo(cmd, options);
    if (info.endpoint.length !== 1) throw new Error(`expected one endpoint, got ${info.endpoint.length}`);
    const ticket = info.endpoint[0]!.ticket;
    if (ticket === null) throw new Error('endpoint without a ticket');
    return { info, ...(await this.doGet(ticket.ticket, options)) };
  }

  doAction(type: string, body: Uint8Array, options: CallOptions = {}): Promise<Array<{ body: Buffer }>> {
    return collect(this.raw.DoAction({ type, body }, this.metadata(options), this.callOptions(options)));
  }

  listActions(options: CallOptions = {}): Promise<Array<{ type: string; description: string }>> {
    return collect(this.raw.ListActions({}, this.metadata(options), this.callOptions(options)));
  }

  /** DoPut: writes `messages` (the first should carry the descriptor), half-closes, collects the PutResults. */
  doPut(messages: readonly FlightDataIn[], options: CallOptions = {}): Promise<Array<{ app_metadata: Buffer }>> {
    const call = this.raw.DoPut(this.metadata(options), this.callOptions(options));
    const results = collect(call).catch(explainDeadline('DoPut'));
    for (const m of messages) call.write(m);
    call.end();
    return results;
  }

  /** Handshake: sends `requests`, half-closes; the answers and the response headers. */
  async handshake(requests: ReadonlyArray<{ protocol_version: number; payload: Uint8Array }>, options: CallOptions = {}): Promise<{ responses: Array<{ protocol_version: string; payload: Buffer }>; headers: grpc.Metadata }> {
    const call = this.raw.Handshake(this.metadata(options), this.callOptions(options));
    const headers = new Promise<grpc.Metadata>((resolve) => call.once('metadata', resolve));
    const responses = collect(call).catch(explainDeadline('Handshake'));
    for (const r of requests) call.write(r);
    call.end();
    return { responses: await responses, headers: await headers };
  }

  // ---- Flight SQL ------------------------------------------------------------------------------

  /** ActionCreatePreparedStatement: the result, unpacked. */
  async prepare(query: string, options: CallOptions = {}): Promise<{ prepared_statement_handle: Buffer; dataset_schema: Buffer; parameter_schema: Buffer }> {
    const results = await this.doAction('CreatePreparedStatement', packAny('ActionCreatePreparedStatementRequest', { query }), options);
    if (results.length !== 1) throw new Error(`CreatePreparedStatement answered ${results.length} results`);
    return unpackAny('ActionCreatePreparedStatementResult', results[0]!.body);
  }

  async closePrepared(handle: Uint8Array, options: CallOptions = {}): Promise<Array<{ body: Buffer }>> {
    return this.doAction('ClosePreparedStatement', packAny('ActionClosePreparedStatementRequest', { prepared_statement_handle: handle }), options);
  }

  /** Binds parameters (one row of `params`) to a prepared statement with DoPut. */
  bind(handle: Uint8Array, params: Table, options: CallOptions = {}): Promise<Array<{ app_metadata: Buffer }>> {
    const cmd = packAny('CommandPreparedStatementQuery', { prepared_statement_handle: handle });
    const messages: FlightDataIn[] = flightDataOf(params);
    messages[0] = { ...messages[0]!, flight_descriptor: { type: 'CMD', cmd, path: [] } };
    return this.doPut(messages, options);
  }
}

/** Every message of a server stream; rejects with the call's status error. */
export function collect<T>(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (m: T) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

/** A client-streaming call that ran into its deadline: the server never ended it after the client half-closed. */
function explainDeadline(method: string) {
  return (err: grpc.ServiceError): never => {
    if (err.code !== grpc.status.DEADLINE_EXCEEDED) throw err;
    throw Object.assign(new Error(`${method}: no answer and no status from the server before the deadline, though the client had sent everything and half-closed (${err.message})`), { code: err.code, details: err.details, metadata: err.metadata });
  };
}

/** A gRPC status error's code (for assert.rejects). */
export function isStatus(code: grpc.status, message?: RegExp) {
  return (err: unknown): boolean => {
    const e = err as grpc.ServiceError;
    if (e.code !== code) throw new Error(`expected gRPC status ${grpc.status[code]} (${code}), got ${grpc.status[e.code] ?? '?'} (${e.code}): ${e.details ?? e.message}`);
    if (message !== undefined && !message.test(e.details ?? '')) throw new Error(`status ${grpc.status[code]} with details ${JSON.stringify(e.details)}, expected ${message}`);
    return true;
  };
}

export { grpc };
