import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../src/objectstore/s3.js';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 's3-test-server.sh');

/** A real S3 server (Ceph radosgw on 127.0.0.1) for tests. */
export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Creates a bucket with a fresh name and returns the name. */
  newBucket(): Promise<string>;
  /** A store on a bucket (a fresh one unless given). */
  store(options?: Partial<S3ObjectStoreOptions>): Promise<S3ObjectStore>;
  /** Stops the server if this test file started it. */
  stop(): Promise<void>;
}

/**
 * The S3 server of this test run: `npm test` starts one for all files and passes it in
 * `SLUICE_TEST_S3_*`; a file run alone starts its own (scripts/s3-test-server.sh installs
 * radosgw when missing) and stops it in `stop()`.
 */
export async function s3TestServer(): Promise<S3TestServer> {
  let endpoint = process.env.SLUICE_TEST_S3_ENDPOINT;
  let accessKeyId = process.env.SLUICE_TEST_S3_ACCESS_KEY ?? '';
  let secretAccessKey = process.env.SLUICE_TEST_S3_SECRET_KEY ?? '';
  let stop = async (): Promise<void> => undefined;
  if (endpoint === undefined || endpoint === '') {
    const state = join(mkdtempSync(join(tmpdir(), 'sluice-s3-')), 'state.env');
    const { stdout } = await run('bash', [SCRIPT, 'start', state], { maxBuffer: 1 << 20 });
    const vars = Object.fromEntries(stdout.trim().split(/\s+/).map((kv) => kv.split('=') as [string, string]));
    endpoint = vars.S3_ENDPOINT!;
    accessKeyId = vars.S3_ACCESS_KEY!;
    secretAccessKey = vars.S3_SECRET_KEY!;
    stop = async () => {
      await run('bash', [SCRIPT, 'stop', state]);
    };
  }
  const admin = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const newBucket = async (): Promise<string> => {
    const bucket = `sluice-test-${randomBytes(6).toString('hex')}`;
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  };
  const ep = endpoint;
  return {
    endpoint: ep,
    accessKeyId,
    secretAccessKey,
    newBucket,
    async store(options = {}) {
      const bucket = options.bucket ?? (await newBucket());
      return new S3ObjectStore({ endpoint: ep, allowHttp: true, accessKeyId, secretAccessKey, region: 'us-east-1', ...options, bucket });
    },
    async stop() {
      admin.destroy();
      await stop();
    },
  };
}
