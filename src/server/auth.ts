/**
 * API tokens. Only SHA-512 hashes are stored (`<node>/tokens.json` on the object store); a token
 * is shown once, when created. Verification hashes the presented token and compares it with
 * every stored hash in constant time. A running server sees tokens created or deleted by
 * `sluice create token` / `sluice delete token` within a second: its copy of the file is re-read
 * whenever it is older than that.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../effects/clock.js';
import { SystemClock } from '../effects/clock.js';
import { NotFoundError } from '../objectstore/errors.js';
import type { ObjectStore } from '../objectstore/types.js';

/** How old the copy of the token file may be before a check re-reads it. */
export const TOKEN_REFRESH_MS = 1_000;

interface StoredToken {
  name: string;
  /** Hex SHA-512 of the token. */
  sha512: string;
  admin: boolean;
  createdAtMs: number;
}

/** A token with this name already exists. */
export class DuplicateTokenError extends Error {
  readonly code = 'DUPLICATE_TOKEN';
  constructor(readonly tokenName: string) {
    super(`a token named ${JSON.stringify(tokenName)} already exists`);
    this.name = 'DuplicateTokenError';
  }
}

/** No token has this name. */
export class UnknownTokenError extends Error {
  readonly code = 'UNKNOWN_TOKEN';
  constructor(readonly tokenName: string) {
    super(`no token named ${JSON.stringify(tokenName)}`);
    this.name = 'UnknownTokenError';
  }
}

/** Options of {@link TokenStore.open}. */
/** An `Authorization` header that cannot be read; the message says what is wrong with it. */
export class MalformedAuthorizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAuthorizationError';
  }
}

/**
 * The token an `Authorization` header (HTTP) or `authorization` metadata (gRPC) carries:
 * `Bearer <token>`, `Token <token>`, or `Basic` with the token as the password.
 */
export function tokenOfAuthorization(header: string): string {
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2) throw new MalformedAuthorizationError('expected "<scheme> <credentials>"');
  const [scheme, value] = parts as [string, string];
  const s = scheme.toLowerCase();
  if (s === 'bearer' || s === 'token') return value;
  if (s === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.lastIndexOf(':');
    if (colon < 0) throw new MalformedAuthorizationError('Basic credentials need user:token');
    return decoded.slice(colon + 1);
  }
  throw new MalformedAuthorizationError(`unknown scheme ${scheme.slice(0, 40)}`);
}

export interface TokenStoreOptions {
  /** Ages the copy of the token file; default the system clock. */
  clock?: Clock;
}

function hashOf(token: string): Buffer {
  return createHash('sha512').update(token, 'utf8').digest();
}

/** The tokens of one node, read from and written to its object store. */
export class TokenStore {
  private tokens: Array<StoredToken & { digest: Buffer }> = [];
  /** When the copy in `tokens` was read (monotonic ms); -Infinity before the first read. */
  private loadedAtMs = Number.NEGATIVE_INFINITY;
  /** The read in progress, shared by every check that finds the copy too old. */
  private loading: Promise<void> | undefined;

  private constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly clock: Clock,
  ) {}

  /** Opens node `nodeId`'s tokens and reads them once. */
  static async open(store: ObjectStore, nodeId: string, options: TokenStoreOptions = {}): Promise<TokenStore> {
    const tokens = new TokenStore(store, `${nodeId}/tokens.json`, options.clock ?? new SystemClock());
    await tokens.load();
    return tokens;
  }

  /** Tokens in the copy last read (at most a second old while checks are being made). */
  get count(): number {
    return this.tokens.length;
  }

  /** Token names in the copy last read. */
  get names(): string[] {
    return this.tokens.map((t) => t.name);
  }

  private async load(): Promise<void> {
    const startedAtMs = this.clock.monotonicMs();
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.store.get(this.key);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (bytes === undefined) {
      this.tokens = [];
    } else {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { version: number; tokens: StoredToken[] };
      if (parsed.version !== 1 || !Array.isArray(parsed.tokens)) throw new Error(`${this.key}: unsupported token file`);
      this.tokens = parsed.tokens.map((t) => ({ ...t, digest: Buffer.from(t.sha512, 'hex') }));
    }
    this.loadedAtMs = startedAtMs;
  }

  /**
   * Re-reads the token file if the copy is older than TOKEN_REFRESH_MS. A failed read throws
   * (the caller refuses the request: a deleted token must not pass because the store is down)
   * and leaves the copy's age alone, so the next check tries again.
   */
  private async refresh(): Promise<void> {
    if (this.clock.monotonicMs() - this.loadedAtMs < TOKEN_REFRESH_MS) return;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }

  private async save(tokens: StoredToken[]): Promise<void> {
    await this.store.put(this.key, new TextEncoder().encode(`${JSON.stringify({ version: 1, tokens }, null, 1)}\n`), 'overwrite');
    await this.load();
  }

  private stored(): StoredToken[] {
    return this.tokens.map(({ digest: _d, ...t }) => t);
  }

  /** Creates a token and returns it: the only time it is ever visible. DuplicateTokenError if the name is taken. */
  async create(name: string, admin: boolean): Promise<string> {
    await this.load();
    if (this.tokens.some((t) => t.name === name)) throw new DuplicateTokenError(name);
    const token = `apiv3_${randomBytes(48).toString('base64url')}`;
    const entry: StoredToken = { name, sha512: hashOf(token).toString('hex'), admin, createdAtMs: this.clock.nowMs() };
    await this.save([...this.stored(), entry]);
    return token;
  }

  /** Deletes the token named `name`; UnknownTokenError if there is none. */
  async delete(name: string): Promise<void> {
    await this.load();
    if (!this.tokens.some((t) => t.name === name)) throw new UnknownTokenError(name);
    await this.save(this.stored().filter((t) => t.name !== name));
  }

  /** Whether `token` is one of ours, as of a copy of the token file at most a second old. */
  async verify(token: string): Promise<boolean> {
    await this.refresh();
    return this.matches(token);
  }

  /** Whether any token exists (then every non-public request needs one), as of a copy at most a second old. */
  async isEnabled(): Promise<boolean> {
    await this.refresh();
    return this.tokens.length > 0;
  }

  private matches(token: string): boolean {
    const digest = hashOf(token);
    let found = false;
    for (const t of this.tokens) if (t.digest.length === digest.length && timingSafeEqual(t.digest, digest)) found = true;
    return found;
  }
}
