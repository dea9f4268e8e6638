/**
 * The protobuf messages of Arrow Flight (`arrow.flight.protocol`) and Flight SQL
 * (`arrow.flight.protocol.sql`) that Sluice reads and writes, with their published field
 * numbers. Encoded and decoded with protobufjs; `FlightData`, the hot one, has its own encoder
 * in `./flight-data.ts`.
 */
import protobuf from 'protobufjs';

const FLIGHT_PROTO = `
syntax = "proto3";
package arrow.flight.protocol;

message HandshakeRequest { uint64 protocol_version = 1; bytes payload = 2; }
message HandshakeResponse { uint64 protocol_version = 1; bytes payload = 2; }
message Empty {}
message ActionType { string type = 1; string description = 2; }
message Criteria { bytes expression = 1; }
message Action { string type = 1; bytes body = 2; }
message Result { bytes body = 1; }
message SchemaResult { bytes schema = 1; }
message FlightDescriptor {
  enum DescriptorType { UNKNOWN = 0; PATH = 1; CMD = 2; }
  DescriptorType type = 1;
  bytes cmd = 2;
  repeated string path = 3;
}
message Ticket { bytes ticket = 1; }
message Location { string uri = 1; }
message FlightEndpoint { Ticket ticket = 1; repeated Location location = 2; bytes app_metadata = 4; }
message FlightInfo {
  bytes schema = 1;
  FlightDescriptor flight_descriptor = 2;
  repeated FlightEndpoint endpoint = 3;
  int64 total_records = 4;
  int64 total_bytes = 5;
  bool ordered = 6;
  bytes app_metadata = 7;
}
message FlightData { FlightDescriptor flight_descriptor = 1; bytes data_header = 2; bytes app_metadata = 3; bytes data_body = 1000; }
message PutResult { bytes app_metadata = 1; }
`;

const FLIGHT_SQL_PROTO = `
syntax = "proto3";
package arrow.flight.protocol.sql;

message Any { string type_url = 1; bytes value = 2; }
message CommandGetSqlInfo { repeated uint32 info = 1; }
message CommandGetCatalogs {}
message CommandGetDbSchemas { optional string catalog = 1; optional string db_schema_filter_pattern = 2; }
message CommandGetTables {
  optional string catalog = 1;
  optional string db_schema_filter_pattern = 2;
  optional string table_name_filter_pattern = 3;
  repeated string table_types = 4;
  bool include_schema = 5;
}
message CommandGetTableTypes {}
message CommandStatementQuery { string query = 1; optional bytes transaction_id = 2; }
message TicketStatementQuery { bytes statement_handle = 1; }
message CommandPreparedStatementQuery { bytes prepared_statement_handle = 1; }
message ActionCreatePreparedStatementRequest { string query = 1; optional bytes transaction_id = 2; }
message ActionCreatePreparedStatementResult { bytes prepared_statement_handle = 1; bytes dataset_schema = 2; bytes parameter_schema = 3; }
message ActionClosePreparedStatementRequest { bytes prepared_statement_handle = 1; }
message DoPutPreparedStatementResult { optional bytes prepared_statement_handle = 1; }
`;

const root = new protobuf.Root();
protobuf.parse(FLIGHT_PROTO, root, { keepCase: true });
protobuf.parse(FLIGHT_SQL_PROTO, root, { keepCase: true });

/** A message type: encode an object, decode bytes (throws on malformed input). */
export interface MessageType<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function messageType<T>(name: string): MessageType<T> {
  const type = root.lookupType(name);
  return {
    encode: (value) => type.encode(type.fromObject(value as Record<string, unknown>)).finish(),
    decode: (bytes) => type.toObject(type.decode(bytes), { longs: String, bytes: Buffer, defaults: true }) as T,
  };
}

export interface FlightDescriptor {
  type: number | string;
  cmd: Uint8Array;
  path: string[];
}
export interface Ticket {
  ticket: Uint8Array;
}
export interface FlightInfo {
  schema: Uint8Array;
  flight_descriptor?: FlightDescriptor;
  endpoint: Array<{ ticket: Ticket; location?: Array<{ uri: string }> }>;
  total_records: number | string;
  total_bytes: number | string;
  ordered?: boolean;
}

const F = 'arrow.flight.protocol.';
const S = 'arrow.flight.protocol.sql.';
export const pb = {
  HandshakeRequest: messageType<{ protocol_version: string; payload: Uint8Array }>(`${F}HandshakeRequest`),
  HandshakeResponse: messageType<{ protocol_version: string | number; payload: Uint8Array }>(`${F}HandshakeResponse`),
  Empty: messageType<Record<string, never>>(`${F}Empty`),
  ActionType: messageType<{ type: string; description: string }>(`${F}ActionType`),
  Criteria: messageType<{ expression: Uint8Array }>(`${F}Criteria`),
  Action: messageType<{ type: string; body: Uint8Array }>(`${F}Action`),
  Result: messageType<{ body: Uint8Array }>(`${F}Result`),
  SchemaResult: messageType<{ schema: Uint8Array }>(`${F}SchemaResult`),
  FlightDescriptor: messageType<FlightDescriptor>(`${F}FlightDescriptor`),
  Ticket: messageType<Ticket>(`${F}Ticket`),
  FlightInfo: messageType<FlightInfo>(`${F}FlightInfo`),
  FlightData: messageType<{ flight_descriptor?: FlightDescriptor; data_header: Uint8Array; app_metadata: Uint8Array; data_body: Uint8Array }>(`${F}FlightData`),
  PutResult: messageType<{ app_metadata: Uint8Array }>(`${F}PutResult`),
  Any: messageType<{ type_url: string; value: Uint8Array }>(`${S}Any`),
  CommandGetSqlInfo: messageType<{ info: number[] }>(`${S}CommandGetSqlInfo`),
  CommandGetCatalogs: messageType<Record<string, never>>(`${S}CommandGetCatalogs`),
  CommandGetDbSchemas: messageType<{ catalog?: string; db_schema_filter_pattern?: string }>(`${S}CommandGetDbSchemas`),
  CommandGetTables: messageType<{ catalog?: string; db_schema_filter_pattern?: string; table_name_filter_pattern?: string; table_types: string[]; include_schema: boolean }>(`${S}CommandGetTables`),
  CommandGetTableTypes: messageType<Record<string, never>>(`${S}CommandGetTableTypes`),
  CommandStatementQuery: messageType<{ query: string; transaction_id?: Uint8Array }>(`${S}CommandStatementQuery`),
  TicketStatementQuery: messageType<{ statement_handle: Uint8Array }>(`${S}TicketStatementQuery`),
  CommandPreparedStatementQuery: messageType<{ prepared_statement_handle: Uint8Array }>(`${S}CommandPreparedStatementQuery`),
  ActionCreatePreparedStatementRequest: messageType<{ query: string; transaction_id?: Uint8Array }>(`${S}ActionCreatePreparedStatementRequest`),
  ActionCreatePreparedStatementResult: messageType<{ prepared_statement_handle: Uint8Array; dataset_schema: Uint8Array; parameter_schema: Uint8Array }>(`${S}ActionCreatePreparedStatementResult`),
  ActionClosePreparedStatementRequest: messageType<{ prepared_statement_handle: Uint8Array }>(`${S}ActionClosePreparedStatementRequest`),
  DoPutPreparedStatementResult: messageType<{ prepared_statement_handle?: Uint8Array }>(`${S}DoPutPreparedStatementResult`),
};

/** The type URL a Flight SQL command travels under inside `google.protobuf.Any`. */
export const typeUrl = (message: string): string => `type.googleapis.com/arrow.flight.protocol.sql.${message}`;

/** Wraps a Flight SQL message in `Any`. */
export function packAny(message: keyof typeof pb, value: unknown): Uint8Array {
  return pb.Any.encode({ type_url: typeUrl(message), value: (pb[message] as MessageType<unknown>).encode(value) });
}
