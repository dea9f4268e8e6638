/**
 * One raw keep-alive connection of the HTTP fuzzer: it writes request bytes as they are
 * (pipelined), reads the answers with the strict {@link ResponseReader}, and reports what came
 * back for each request — a response, nothing before the connection closed, or nothing for too
 * long.
 */
import { connect, type Socket } from 'node:net';
import { MalformedResponseError, ResponseReader, type WireResponse } from './http-fuzz-response.js';
import type { FuzzRequest } from './http-fuzz-requests.js';

/** A request and the final response that answered it. */
export interface Answered {
  request: FuzzRequest;
  response: WireResponse;
  /** 1xx responses that came before the final one. */
  interimCount: number;
}

/** What came back for the requests of one exchange. */
export interface ExchangeResult {
  answered: Answered[];
  /** Requests still unanswered when the connection closed (or hung), in order. */
  unanswered: FuzzRequest[];
  /** Responses after every request was answered (an open request the server read as several). */
  extra: WireResponse[];
  /** The connection is closed now. */
  closed: boolean;
  /** A response asked for the connection to close. */
  sawClosingResponse: boolean;
  /** The connection had to be reset by us after a response that said `Connection: close` (the server kept it open). */
  keptOpenAfterClose: boolean;
  malformed?: MalformedResponseError;
  /** Nothing came from the server for `hangMs` while answers were due. */
  hung: boolean;
  /**
   * `open` mode: every answer came, but the server closed only after `hangMs` (at the latest its
   * keep-alive timeout, which bounds how long Node's server may leave a half-closed connection).
   */
  closedLate: boolean;
  /** The socket error, if any (ECONNRESET, EPIPE…). */
  socketError?: string;
}

interface Exchange {
  result: ExchangeResult;
  mode: 'exact' | 'open';
  resolve: (result: ExchangeResult) => void;
}

function emptyResult(): ExchangeResult {
  return { answered: [], unanswered: [], extra: [], closed: false, sawClosingResponse: false, keptOpenAfterClose: false, hung: false, closedLate: false };
}

/** How long a server may keep a connection open after `Connection: close` before we call it a failure. */
const CLOSE_AFTER_CLOSE_RESPONSE_MS = 5_000;
/**
 * After the client's FIN with every answer in, the server closes at once, or — rarely, under
 * load, when Node's server had paused reading the socket — when its keep-alive timeout (65 s)
 * ends the idle connection. Past that bound plus a margin, the connection was left open.
 */
export const CLOSE_AFTER_FIN_MS = 75_000;

export class FuzzConnection {
  private readonly reader: ResponseReader;
  private readonly queue: FuzzRequest[] = [];
  private interim = 0;
  private exchange: Exchange | undefined;
  private hangTimer: NodeJS.Timeout | undefined;
  /** Something went wrong while no exchange was under way (bytes nobody asked for). */
  private orphan: MalformedResponseError | undefined;
  private sawClosing = false;
  isClosed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly hangMs: number,
  ) {
    this.reader = new ResponseReader(
      () => this.queue[0]?.isHead ?? false,
      (r) => this.onResponse(r),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.exchange !== undefined) this.exchange.result.socketError ??= err.code ?? err.message;
    });
    socket.on('close', () => this.onClose());
  }

  /** Connects to 127.0.0.1:port; rejects if nothing listens there. */
  static open(port: number, hangMs: number): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new FuzzConnection(socket, hangMs));
      });
      socket.once('error', reject);
    });
  }

  /**
   * Sends `requests` back to back. `exact`: resolves once each has its answer (or the connection
   * closed or hung). `open`: closes our side after the bytes and reads until the server closes.
   */
  send(requests: FuzzRequest[], mode: 'exact' | 'open'): Promise<ExchangeResult> {
    if (this.exchange !== undefined) throw new Error('one exchange at a time');
    const result = emptyResult();
    if (this.orphan !== undefined) {
      result.malformed = this.orphan;
      this.orphan = undefined;
    }
    if (this.isClosed) {
      result.closed = true;
      result.unanswered = requests.slice();
      return Promise.resolve(result);
    }
    return new Promise((resolve) => {
      this.exchange = { result, mode, resolve };
      this.queue.push(...requests);
      this.armHangTimer();
      this.socket.write(requests.length === 1 ? requests[0]!.bytes : Buffer.concat(requests.map((r) => r.bytes)));
      if (mode === 'open') this.socket.end();
      this.settleIfDone();
    });
  }

  /** Sends the first `bytes` bytes of `request`, then resets the connection without waiting for anything. */
  abort(request: FuzzRequest, bytes: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      this.socket.write(request.bytes.subarray(0, bytes), () => {
        // Give the server a moment to start on what it got, then go away mid-request.
        setTimeout(() => {
          this.socket.resetAndDestroy();
          resolve();
        }, 1);
      });
      this.socket.once('close', () => resolve());
    });
  }

  /** Closes the connection (ours to close: every answer that was due has come). */
  destroy(): void {
    clearTimeout(this.hangTimer);
    this.socket.destroy();
  }

  private armHangTimer(late = false): void {
    clearTimeout(this.hangTimer);
    const answeredAll = this.queue.length === 0;
    this.hangTimer = setTimeout(() => {
      const ex = this.exchange;
      if (ex === undefined) return;
      if (answeredAll && this.sawClosing) ex.result.keptOpenAfterClose = true;
      else if (answeredAll && ex.mode === 'open' && !late) {
        // Every answer is in and our FIN sent: wait on to the server's keep-alive bound.
        ex.result.closedLate = true;
        return this.armHangTimer(true);
      } else ex.result.hung = true;
      this.socket.destroy();
    }, answeredAll && this.sawClosing ? CLOSE_AFTER_CLOSE_RESPONSE_MS : late ? CLOSE_AFTER_FIN_MS - this.hangMs : this.hangMs);
  }

  private onData(chunk: Buffer): void {
    try {
      this.reader.push(chunk);
    } catch (err) {
      if (!(err instanceof MalformedResponseError)) throw err;
      if (this.exchange !== undefined) this.exchange.result.malformed ??= err;
      else this.orphan ??= err;
      this.socket.destroy();
    }
    // Re-armed after the chunk is read, so the bound is the one its answers leave (after the
    // last answer of an open exchange, the longer one for the server's close).
    if (this.exchange !== undefined && !this.isClosed) this.armHangTimer();
  }

  private onResponse(response: WireResponse): void {
    if (response.isClosing && !response.isInterim) this.sawClosing = true;
    const ex = this.exchange;
    if (response.isInterim) {
      if (this.queue.length === 0) throw new MalformedResponseError(`an interim ${response.status} response with no request waiting`, Buffer.from(response.head, 'latin1'));
      this.interim++;
      return;
    }
    const request = this.queue.shift();
    if (request === undefined || ex === undefined) {
      if (ex !== undefined && ex.mode === 'open') ex.result.extra.push(response);
      else throw new MalformedResponseError(`a ${response.status} response with no request waiting`, Buffer.from(response.head, 'latin1'));
    } else {
      ex.result.answered.push({ request, response, interimCount: this.interim });
    }
    this.interim = 0;
    if (ex !== undefined && response.isClosing) ex.result.sawClosingResponse = true;
    this.settleIfDone();
  }

  private onClose(): void {
    this.isClosed = true;
    clearTimeout(this.hangTimer);
    try {
      this.reader.close();
    } catch (err) {
      if (!(err instanceof MalformedResponseError)) throw err;
      if (this.exchange !== undefined) this.exchange.result.malformed ??= err;
      else this.orphan ??= err;
    }
    const ex = this.exchange;
    if (ex === undefined) return;
    ex.result.closed = true;
    ex.result.unanswered = this.queue.splice(0);
    this.exchange = undefined;
    ex.resolve(ex.result);
  }

  private settleIfDone(): void {
    const ex = this.exchange;
    if (ex === undefined || ex.mode === 'open' || this.queue.length > 0) return;
    if (this.sawClosing) {
      // The server said it closes: wait for it to (onClose settles), within a deadline.
      this.armHangTimer();
      return;
    }
    clearTimeout(this.hangTimer);
    this.exchange = undefined;
    ex.resolve(ex.result);
  }
}
