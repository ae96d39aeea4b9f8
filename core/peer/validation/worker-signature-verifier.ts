import { X509Certificate } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Identity } from '../../msp/identity';
import type { SignatureCheck, SignatureVerifier } from './signature-verifier';

/**
 * The worker's code, kept as plain JavaScript so the same string runs under ts-node hooks, jest and
 * the compiled build alike. Each job is a batch of (key id, data, signature) tuples; keys arrive
 * once per worker as SPKI DER and are cached. ECDSA signatures with s > n/2 are rejected, as Fabric
 * does.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const keys = new Map();
const HALF = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');
function lowS(der) {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[2] !== 0x02) return false;
  let off = 4 + der[3];
  if (off + 2 > der.length || der[off] !== 0x02) return false;
  const sLen = der[off + 1];
  if (off + 2 + sLen !== der.length || sLen === 0) return false;
  let start = off + 2;
  while (start < der.length - 1 && der[start] === 0) start++;
  const len = der.length - start;
  if (len !== HALF.length) return len < HALF.length;
  for (let i = 0; i < len; i++) if (der[start + i] !== HALF[i]) return der[start + i] < HALF[i];
  return true;
}
parentPort.on('message', ({ id, newKeys, checks }) => {
  for (const [keyId, spki] of newKeys) keys.set(keyId, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
  const results = checks.map(([keyId, data, signature]) => {
    const key = keys.get(keyId);
    if (key === undefined || !lowS(signature)) return false;
    try { return verify('sha256', data, key, signature); } catch { return false; }
  });
  parentPort.postMessage({ id, results });
});
`;

interface PendingJob {
  resolve(results: boolean[]): void;
  reject(err: Error): void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly knownKeys: Set<number>;
  readonly jobs: Map<number, PendingJob>;
}

/**
 * Verifies a block's signatures on a pool of worker threads (Fabric's `validatorPoolSize`): the
 * checks are split into one batch per worker and shipped in one message each. Only P-256 ECDSA
 * identities go to the workers (public keys sent once per worker, by a numeric id); anything else
 * is verified inline by its identity. The workers do not keep the process alive.
 */
export class WorkerSignatureVerifier implements SignatureVerifier {
  private readonly workers: PoolWorker[] = [];
  private readonly keyIds = new Map<string, { id: number; spki: Uint8Array } | undefined>();
  private nextJob = 0;
  private nextKey = 0;

  constructor(private readonly size: number) {}

  async verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    const results = new Array<boolean>(checks.length);
    const batches: { index: number; keyId: number; spki: Uint8Array; data: Uint8Array; signature: Uint8Array }[][] = [];
    const poolSize = Math.max(1, Math.min(this.size, Math.ceil(checks.length / 16)));
    for (let i = 0; i < poolSize; i++) batches.push([]);
    checks.forEach((c, index) => {
      const key = this.keyOf(c.identity);
      if (key === undefined) {
        results[index] = c.identity.verify(c.data, c.signature);
        return;
      }
      batches[index % poolSize].push({ index, keyId: key.id, spki: key.spki, data: c.data, signature: c.signature });
    });
    await Promise.all(
      batches.map(async (batch, w) => {
        if (batch.length === 0) return;
        const out = await this.run(this.worker(w), batch);
        batch.forEach((b, k) => (results[b.index] = out[k]));
      }),
    );
    return results;
  }

  /** Terminates the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }

  private run(pw: PoolWorker, batch: readonly { keyId: number; spki: Uint8Array; data: Uint8Array; signature: Uint8Array }[]): Promise<boolean[]> {
    const newKeys: [number, Uint8Array][] = [];
    for (const b of batch) {
      if (!pw.knownKeys.has(b.keyId)) {
        pw.knownKeys.add(b.keyId);
        newKeys.push([b.keyId, b.spki]);
      }
    }
    const id = this.nextJob++;
    return new Promise((resolve, reject) => {
      pw.jobs.set(id, { resolve, reject });
      pw.worker.postMessage({ id, newKeys, checks: batch.map((b) => [b.keyId, b.data, b.signature]) });
    });
  }

  private worker(index: number): PoolWorker {
    let pw = this.workers[index];
    if (pw === undefined) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      const created: PoolWorker = { worker, knownKeys: new Set(), jobs: new Map() };
      worker.on('message', (msg: { id: number; results: boolean[] }) => {
        const job = created.jobs.get(msg.id);
        created.jobs.delete(msg.id);
        job?.resolve(msg.results);
      });
      worker.on('error', (err: Error) => {
        for (const job of created.jobs.values()) job.reject(err);
        created.jobs.clear();
        // A dead worker is replaced on next use.
        if (this.workers[index] === created) delete this.workers[index];
      });
      this.workers[index] = created;
      pw = created;
    }
    return pw;
  }

  private keyOf(identity: Identity): { id: number; spki: Uint8Array } | undefined {
    if (this.keyIds.has(identity.id)) return this.keyIds.get(identity.id);
    let entry: { id: number; spki: Uint8Array } | undefined;
    try {
      const key = new X509Certificate(Buffer.from(identity.idBytes)).publicKey;
      if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
        entry = { id: this.nextKey++, spki: new Uint8Array(key.export({ format: 'der', type: 'spki' })) };
      }
    } catch {
      entry = undefined;
    }
    if (this.keyIds.size > 10_000) this.keyIds.clear();
    this.keyIds.set(identity.id, entry);
    return entry;
  }
}
