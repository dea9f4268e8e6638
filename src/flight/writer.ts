/**
 * Sends an answer's IPC messages as `FlightData`, one at a time: the next is produced only once
 * gRPC took the last (its write buffer drained), so a slow client slows the query instead of
 * filling memory. Counts bytes against `--max-query-result-bytes`; once the schema is out, an
 * answer that sends nothing for `keepAliveMs` (5 s) sends an empty batch so proxies and clients
 * see it alive.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { QueryError } from '../query/errors.js';
import type { IpcMessage } from './arrow.js';
import { encodeFlightData } from './flight-data.js';

/** InfluxDB 3's interval: silence this long after the schema sends an empty batch. */
export const KEEP_ALIVE_MS = 5_000;

export class FlightWriter {
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private emptyBatch: (() => IpcMessage) | undefined;
  private sending = false;

  constructor(
    private readonly call: ServerWritableStream<Buffer, unknown>,
    private readonly maxBytes: number,
    private readonly keepAliveMs = KEEP_ALIVE_MS,
  ) {}

  /** From now on, silence of KEEP_ALIVE_MS sends `emptyBatch()`. */
  keepAlive(emptyBatch: () => IpcMessage): void {
    this.emptyBatch = emptyBatch;
  }

  async send(message: IpcMessage): Promise<void> {
    const frame = encodeFlightData(message);
    this.bytes += frame.length;
    if (this.bytes > this.maxBytes) throw new QueryError('RESULT_TOO_LARGE', `the answer is larger than --max-query-result-bytes (${this.maxBytes} bytes)`);
    await this.write(frame);
    this.arm();
  }

  close(): void {
    clearTimeout(this.timer);
    this.emptyBatch = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.emptyBatch === undefined) return;
    this.timer = setTimeout(() => {
      if (this.sending || this.emptyBatch === undefined || this.call.cancelled) return;
      this.call.write(encodeFlightData(this.emptyBatch()));
      this.arm();
    }, this.keepAliveMs);
    this.timer.unref();
  }

  private write(frame: Buffer): Promise<void> {
    if (this.call.cancelled) return Promise.reject(new QueryError('CANCELLED', 'the query was cancelled (the client went away)'));
    this.sending = true;
    if (this.call.write(frame)) {
      this.sending = false;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        this.call.off('drain', onDrain);
        this.call.off('cancelled', onCancel);
        this.sending = false;
        if (err === undefined) resolve();
        else reject(err);
      };
      const onDrain = () => done();
      const onCancel = () => done(new QueryError('CANCELLED', 'the query was cancelled (the client went away)'));
      this.call.on('drain', onDrain);
      this.call.on('cancelled', onCancel);
    });
  }
}
