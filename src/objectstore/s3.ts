import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Clock } from '../effects/clock.js';
import { SystemClock } from '../effects/clock.js';
import type { Rng } from '../effects/rng.js';
import { SystemRng } from '../effects/rng.js';
import { AlreadyExistsError, NotFoundError, ObjectStoreError, PermanentStoreError, StoreIoError, type StoreOperation } from './errors.js';
import { validateKey } from './keys.js';
import { backoffMs } from './retry.js';
import type { ListOptions, ListPage, ObjectMeta, ObjectStore, PutMode } from './types.js';
import { MAX_LIST_KEYS } from './types.js';

/** How to reach a bucket. Unset credentials and region come from the usual AWS environment. */
export interface S3ObjectStoreOptions {
  bucket: string;
  /** Keys are stored under this prefix inside the bucket (no leading or trailing `/`); default none. */
  prefix?: string;
  /** An S3-compatible endpoint (`http://127.0.0.1:7480`, `https://s3.example.com`); default AWS. */
  endpoint?: string;
  /** Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`. */
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default true when an endpoint is given. */
  forcePathStyle?: boolean;
  /** Allow a plain `http://` endpoint (credentials and data in the clear). Default false. */
  allowHttp?: boolean;
  /** Deadline of one request, connect to last byte, in ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** Deadline to open a connection, in ms. Default 5 000. */
  connectTimeoutMs?: number;
  /** Attempts of one operation on transient errors (timeouts, resets, 5xx, throttling). Default 6. */
  maxAttempts?: number;
  /** Backoff between attempts: base and cap, in ms (full jitter over the upper half). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Concurrent connections to the endpoint. Default 64. */
  maxSockets?: number;
  clock?: Clock;
  rng?: Rng;
}

/** Object metadata holding the random id of the put that wrote the object. */
const PUT_ID_METADATA = 'sluice-put-id';

/** Why an S3 call failed, in the terms the store's callers use. */
type Failure =
  | { kind: 'notFound' }
  | { kind: 'preconditionFailed' }
  | { kind: 'invalidRange' }
  | { kind: 'transient'; message: string }
  /** Refused for good (credentials, permissions, bucket): a {@link PermanentStoreError}. */
  | { kind: 'permanent'; status: number | undefined; serviceCode: string; serverMessage: string | undefined }
  /** Neither known transient nor known permanent: a non-transient StoreIoError, the caller decides. */
  | { kind: 'unclassified'; message: string };

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'Throttling', 'ThrottlingException', 'InternalError', 'ServiceUnavailable', 'ConditionalRequestConflict', 'OperationAborted', 'RequestTimeTooSkewed']);

/**
 * S3 error codes no retry changes, with what each means for an operator. Every 403 but
 * RequestTimeTooSkewed (a clock that may be fixed) is permanent too, with or without a code (a
 * HEAD answer has no body to name one). `ExpiredToken` is not here: credentials the SDK
 * refreshes can meet it once at the turn of a token and then succeed.
 */
const PERMANENT_CODES: ReadonlyMap<string, string> = new Map([
  ['AccessDenied', 'access denied: these credentials may not do this to this bucket (check the bucket policy and the key\'s permissions)'],
  ['Forbidden', 'access denied (the answer names no reason: check the credentials and the bucket policy)'],
  ['InvalidAccessKeyId', 'the server knows no such access key id (check the access key)'],
  ['SignatureDoesNotMatch', 'the request signature does not match: the secret access key is wrong'],
  ['InvalidToken', 'the session token is malformed or invalid'],
  ['AccountProblem', 'the account has a problem that prevents this operation'],
  ['AllAccessDisabled', 'all access to this bucket has been disabled'],
  ['NoSuchBucket', 'the bucket does not exist'],
  ['InvalidBucketName', 'the bucket name is not valid'],
  ['PermanentRedirect', 'the bucket must be reached at another endpoint or region'],
  ['AuthorizationHeaderMalformed', 'the request was signed for another region than the bucket\'s'],
  ['InvalidRegion', 'the request was signed for another region than the bucket\'s'],
  ['EntityTooLarge', 'the object is larger than the server accepts'],
  ['KeyTooLongError', 'the key is longer than the server accepts'],
  ['MetadataTooLarge', 'the object metadata is larger than the server accepts'],
  ['InvalidArgument', 'the server refuses an argument of the request'],
  ['NotImplemented', 'the server does not implement this request'],
  ['MethodNotAllowed', 'the server does not allow this method here'],
]);

function classify(err: unknown): Failure {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? '';
  const message = `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${e?.message ?? String(err)}`;
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) return { kind: 'notFound' };
  if (name === 'PreconditionFailed' || status === 412) return { kind: 'preconditionFailed' };
  if (name === 'InvalidRange' || status === 416) return { kind: 'invalidRange' };
  // Before the status rules: S3 answers RequestTimeTooSkewed with 403, NotImplemented with 501.
  if (TRANSIENT_NAMES.has(name) || (e?.code !== undefined && TRANSIENT_CODES.has(e.code))) return { kind: 'transient', message };
  if (err instanceof S3ServiceException && (PERMANENT_CODES.has(name) || status === 403 || status === 301)) {
    // The SDK names an error without a code `Unknown` and, without a message, says `UnknownError`.
    const serviceCode = name !== '' && name !== 'Unknown' ? name : status === 403 ? 'Forbidden' : `HTTP${status ?? ''}`;
    const serverMessage = e.message === undefined || e.message === '' || e.message === 'UnknownError' || e.message === name ? undefined : e.message;
    return { kind: 'permanent', status, serviceCode, serverMessage };
  }
  // 409 on a conditional put is a concurrent conditional request: retry it.
  if (status === 409 || status === 429 || (status !== undefined && status >= 500)) return { kind: 'transient', message };
  if (!(err instanceof S3ServiceException) && status === undefined) return { kind: 'transient', message }; // transport
  return { kind: 'unclassified', message };
}

/**
 * An object store on S3 or an S3-compatible server. Create-only puts send `If-None-Match: *`;
 * every put carries a random put id in its metadata, so a put whose answer was lost and whose
 * retry then meets 412 is recognised as our own by reading the id back. Transient failures
 * (timeouts, resets, 5xx, throttling, 409 conflicts) are retried with capped, jittered backoff
 * up to `maxAttempts`, then fail as a transient {@link StoreIoError}. Refusals no retry changes
 * (403s, NoSuchBucket, …) fail at once as a {@link PermanentStoreError} naming the S3 code, the
 * status and the object; anything else as a non-transient StoreIoError. Listing is S3's, sorted
 * by UTF-8 bytes like every store's.
 *
 * The server must honour conditional puts: {@link probeConditionalPut} checks it at open.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly requestTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly clock: Clock;
  private readonly rng: Rng;
  /** Retried attempts so far (for metrics and tests). */
  retries = 0;

  constructor(options: S3ObjectStoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new ObjectStoreError('INVALID_CONFIG', `invalid S3 bucket name ${JSON.stringify(options.bucket)}: 3–63 characters of a-z, 0-9, '.', '-'`);
    }
    const prefix = options.prefix ?? '';
    if (prefix !== '') validateKey(prefix);
    if (options.endpoint !== undefined) {
      let url: URL;
      try {
        url = new URL(options.endpoint);
      } catch {
        throw new ObjectStoreError('INVALID_CONFIG', `invalid S3 endpoint ${JSON.stringify(options.endpoint)}: not a URL`);
      }
      if (url.protocol === 'http:' && options.allowHttp !== true) {
        throw new ObjectStoreError('INVALID_CONFIG', `S3 endpoint ${options.endpoint} is plain HTTP: pass --aws-allow-http (allowHttp) to accept credentials and data in the clear`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ObjectStoreError('INVALID_CONFIG', `S3 endpoint ${options.endpoint} must be http(s)`);
    }
    this.bucket = options.bucket;
    this.prefix = prefix === '' ? '' : `${prefix}/`;
    this.description = `s3://${options.bucket}${prefix === '' ? '' : `/${prefix}`}${options.endpoint === undefined ? '' : ` at ${options.endpoint}`}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 6);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 50;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 2_000;
    this.clock = options.clock ?? new SystemClock();
    this.rng = options.rng ?? new SystemRng();
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    const credentials =
      options.accessKeyId !== undefined && options.secretAccessKey !== undefined
        ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, ...(options.sessionToken === undefined ? {} : { sessionToken: options.sessionToken }) }
        : undefined;
    this.client = new S3Client({
      region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(credentials === undefined ? {} : { credentials }),
      // Our own retry loop: a retried create-only put needs the put-id check, not a blind resend.
      maxAttempts: 1,
      // Whole-body checksums only when an operation requires them: aws-chunked trailers are newer
      // than many S3-compatible servers (Ceph Pacific answers 411), and real S3 accepts both.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5_000,
        requestTimeout: this.requestTimeoutMs,
        httpAgent: new HttpAgent(agentOptions),
        httpsAgent: new HttpsAgent(agentOptions),
      },
    });
  }

  private fullKey(key: string): string {
    validateKey(key);
    return `${this.prefix}${key}`;
  }

  /**
   * Runs one S3 call with the retry policy; `onFailure` maps the failures the operation
   * understands (404, 412, 416) to a result or an error, and returns undefined for the rest.
   * `key` is the store key of the object, `keyOrPrefix` what the call names (a list's prefix).
   */
  private async call<T>(
    operation: StoreOperation,
    key: string | undefined,
    keyOrPrefix: string,
    send: (signal: AbortSignal) => Promise<T>,
    onFailure?: (f: Failure, attempt: number) => { value: T } | Error | undefined,
  ): Promise<T> {
    const what = `${operation.toLowerCase()} of ${keyOrPrefix}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(AbortSignal.timeout(this.requestTimeoutMs));
      } catch (err) {
        const failure = classify(err);
        const handled = onFailure?.(failure, attempt);
        if (handled instanceof Error) throw handled;
        if (handled !== undefined) return handled.value;
        if (failure.kind === 'notFound' && key !== undefined) throw new NotFoundError(key);
        if (failure.kind === 'permanent') {
          const meaning = PERMANENT_CODES.get(failure.serviceCode) ?? 'the server refuses this request';
          const detail = failure.serverMessage === undefined ? meaning : `${meaning} (the server says: ${failure.serverMessage})`;
          throw new PermanentStoreError('S3', operation, failure.status, failure.serviceCode, `s3://${this.bucket}/${this.prefix}${keyOrPrefix}`, detail, key, { cause: err });
        }
        if (failure.kind !== 'transient') {
          const message = failure.kind === 'unclassified' ? failure.message : failure.kind;
          throw new StoreIoError(`S3 ${what} failed: ${message}`, false, key, { cause: err });
        }
        if (attempt >= this.maxAttempts) throw new StoreIoError(`S3 ${what} failed after ${attempt} attempts: ${failure.message}`, true, key, { cause: err });
        this.retries++;
        await this.clock.sleep(backoffMs(this.rng, attempt, this.retryBaseDelayMs, this.retryMaxDelayMs));
      }
    }
  }

  async put(key: string, data: Uint8Array, mode: PutMode): Promise<void> {
    const fullKey = this.fullKey(key);
    const putId = Buffer.from(this.rng.bytes(16)).toString('hex');
    const result = await this.call(
      'PUT',
      key,
      key,
      (abortSignal) =>
        this.client
          .send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: fullKey,
              Body: data,
              ContentLength: data.length,
              ContentType: 'application/octet-stream',
              Metadata: { [PUT_ID_METADATA]: putId },
              ...(mode === 'create' ? { IfNoneMatch: '*' } : {}),
            }),
            { abortSignal },
          )
          .then((): 'done' | 'check' => 'done'),
      (failure, attempt) => {
        if (failure.kind === 'preconditionFailed' && mode === 'create') {
          // On a retry, the object may be our own earlier attempt whose answer was lost.
          return attempt === 1 ? new AlreadyExistsError(key) : { value: 'check' as const };
        }
        return undefined;
      },
    );
    if (result === 'done') return;
    const existingId = await this.putIdOf(key);
    if (existingId !== putId) throw new AlreadyExistsError(key);
  }

  /** The put id in an object's metadata (undefined if it has none). */
  private async putIdOf(key: string): Promise<string | undefined> {
    const fullKey = this.fullKey(key);
    const out = await this.call('HEAD', key, key, (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }));
    return out.Metadata?.[PUT_ID_METADATA];
  }

  async get(key: string): Promise<Uint8Array> {
    const fullKey = this.fullKey(key);
    return this.call('GET', key, key, async (abortSignal) => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal });
      return out.Body === undefined ? new Uint8Array(0) : out.Body.transformToByteArray();
    });
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const fullKey = this.fullKey(key);
    const from = Math.max(0, start);
    if (end <= from) {
      await this.head(key); // NotFoundError if absent; an empty range of an existing object
      return new Uint8Array(0);
    }
    return this.call(
      'GET',
      key,
      key,
      async (abortSignal) => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey, Range: `bytes=${from}-${end - 1}` }), { abortSignal });
        return out.Body === undefined ? new Uint8Array(0) : out.Body.transformToByteArray();
      },
      // A range starting at or past the end of an existing object: nothing to read.
      (failure) => (failure.kind === 'invalidRange' ? { value: new Uint8Array(0) } : undefined),
    );
  }

  async head(key: string): Promise<ObjectMeta> {
    const fullKey = this.fullKey(key);
    const out = await this.call('HEAD', key, key, (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }));
    return { key, sizeBytes: out.ContentLength ?? 0, lastModifiedMs: out.LastModified?.getTime() ?? 0 };
  }

  async list(options: ListOptions): Promise<ListPage> {
    const maxKeys = Math.min(options.maxKeys ?? MAX_LIST_KEYS, MAX_LIST_KEYS);
    const prefix = `${this.prefix}${options.prefix}`;
    const out = await this.call('LIST', undefined, options.prefix, (abortSignal) =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: maxKeys,
          ...(options.startAfter === undefined ? {} : { StartAfter: `${this.prefix}${options.startAfter}` }),
        }),
        { abortSignal },
      ),
    );
    const objects: ObjectMeta[] = [];
    for (const o of out.Contents ?? []) {
      if (o.Key === undefined || !o.Key.startsWith(this.prefix)) continue;
      objects.push({ key: o.Key.slice(this.prefix.length), sizeBytes: o.Size ?? 0, lastModifiedMs: o.LastModified?.getTime() ?? 0 });
    }
    const last = objects.at(-1);
    return out.IsTruncated === true && last !== undefined ? { objects, nextStartAfter: last.key } : { objects };
  }

  async delete(key: string): Promise<void> {
    const fullKey = this.fullKey(key);
    await this.call(
      'DELETE',
      key,
      key,
      (abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }).then(() => undefined),
      (failure) => (failure.kind === 'notFound' ? { value: undefined } : undefined),
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
