/**
 * What an operator (or an attacker) does to a bucket under a running Sluice, for the tests of
 * permanent S3 refusals: delete the bucket, deny actions by a bucket policy, lift the policy.
 */
import { DeleteBucketCommand, DeleteBucketPolicyCommand, DeleteObjectsCommand, ListObjectsV2Command, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3TestServer } from './s3-server.js';

/** An S3 client with the test server's own credentials. */
export function s3Admin(server: S3TestServer): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Deletes every object of a bucket, then the bucket. */
export async function deleteBucket(admin: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** A bucket policy denying `actions` (`s3:PutObject`, …) on keys under `keyPrefix` to everyone. */
export async function denyActions(admin: S3Client, bucket: string, actions: readonly string[], keyPrefix = ''): Promise<void> {
  const resources = [`arn:aws:s3:::${bucket}/${keyPrefix}*`];
  if (actions.includes('s3:ListBucket')) resources.push(`arn:aws:s3:::${bucket}`);
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: actions, Resource: resources }] };
  await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
}

/** Removes the bucket's policy. */
export async function allowAll(admin: S3Client, bucket: string): Promise<void> {
  await admin.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
}
