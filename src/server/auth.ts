/**
 * API tokens. Only SHA-512 hashes are stored (`<node>/tokens.json` on the object store); a token
 * is shown once, when created. Verification hashes the presented token and compares it with
 * every stored hash in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../objectstore/errors.js';
import type { ObjectStore } from '../objectstore/types.js';

interface StoredToken {
  name: string;
  /** Hex SHA-512 of the token. */
  sha512: string;
  admin: boolean;
  createdAtMs: number;
}

function hashOf(token: string): Buffer {
  return createHash('sha512').update(token, 'utf8').digest();
}

export class TokenStore {
  private tokens: Array<StoredToken & { digest: Buffer }> = [];
  private lastLoadMs = 0;

  private constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
  ) {}

  static async open(store: ObjectStore, nodeId: string): Promise<TokenStore> {
    const tokens = new TokenStore(store, `${nodeId}/tokens.json`);
    await tokens.load();
    return tokens;
  }

  get count(): number {
    return this.tokens.length;
  }

  private async load(): Promise<void> {
    this.lastLoadMs = Date.now();
    let bytes: Uint8Array;
    try {
      bytes = await this.store.get(this.key);
    } catch (err) {
      if (err instanceof NotFoundError) {
        this.tokens = [];
        return;
      }
      throw err;
    }
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { version: number; tokens: StoredToken[] };
    if (parsed.version !== 1 || !Array.isArray(parsed.tokens)) throw new Error(`${this.key}: unsupported token file`);
    this.tokens = parsed.tokens.map((t) => ({ ...t, digest: Buffer.from(t.sha512, 'hex') }));
  }

  /** Creates a token and returns it: the only time it is ever visible. */
  async create(name: string, admin: boolean): Promise<string> {
    await this.load();
    if (this.tokens.some((t) => t.name === name)) throw new Error(`a token named ${JSON.stringify(name)} already exists`);
    const token = `apiv3_${randomBytes(48).toString('base64url')}`;
    const entry: StoredToken = { name, sha512: hashOf(token).toString('hex'), admin, createdAtMs: Date.now() };
    const next = [...this.tokens.map(({ digest: _d, ...t }) => t), entry];
    await this.store.put(this.key, new TextEncoder().encode(`${JSON.stringify({ version: 1, tokens: next }, null, 1)}\n`), 'overwrite');
    await this.load();
    return token;
  }

  /** Whether `token` is one of ours; re-reads the token file (at most once a second) on a miss. */
  async verify(token: string): Promise<boolean> {
    if (this.matches(token)) return true;
    if (Date.now() - this.lastLoadMs < 1000) return false;
    await this.load();
    return this.matches(token);
  }

  private matches(token: string): boolean {
    const digest = hashOf(token);
    let found = false;
    for (const t of this.tokens) if (t.digest.length === digest.length && timingSafeEqual(t.digest, digest)) found = true;
    return found;
  }
}
