import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Block, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { NODE_PROCESS_FLAGS } from '../../../core/node/node-flags';
import { blockHeaderHash } from '../../../core/protocol/block';
import { parseEnvelope } from '../../../core/protocol/envelope';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite/sqlite-ledger-store-provider';
import {
  abClient,
  adminRequest,
  clientSigner,
  envelopeTxId,
  generateMaterial,
  genesisBlock,
  seekEnvelope,
  tmpDir,
  txEnvelope,
  writeNodeConfig,
  type Material,
} from './orderer-fixture';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BroadcastResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';

const repo = path.resolve(__dirname, '../../..');

/** Transaction ids in the channel's ledger file as the killed process left it. */
function ledgerTxIds(dataDir: string, channelId: string): Set<string> {
  const store = new SqliteLedgerStoreProvider({ rootDir: path.join(dataDir, 'ledgers') }).openBlocks(channelId);
  const ids = new Set<string>();
  try {
    for (let n = 0; n < store.blocks.height(); n++) {
      const block = Block.deserializeBinary(store.blocks.getBlockBytes(n)!);
      for (const d of block.getData()!.getDataList_asU8()) ids.add(parseEnvelope(d).channelHeader.txId);
    }
  } finally {
    store.close();
  }
  return ids;
}

interface Started {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly adminPort: number;
}

/** Starts `core/orderer/main.ts --config <file>` as a real process and waits for its "started" line. */
function startOrderer(configFile: string): Promise<Started> {
  const child = spawn(
    process.execPath,
    [...NODE_PROCESS_FLAGS, '-r', path.join(repo, 'test/support/ts-register.js'), path.join(repo, 'core/orderer/main.ts'), '--config', configFile],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"orderer-started"'));
      if (line !== undefined) {
        const { grpcPort, adminPort } = JSON.parse(line) as { grpcPort: number; adminPort: number };
        resolve({ child, grpcPort, adminPort });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`orderer exited with ${code} before starting: ${err}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Broadcasts on `streams` parallel streams, recording each acknowledged txid, until `stop()` resolves. */
function blast(client: AtomicBroadcastClient, m: Material, streams: number, depth: number, acked: Set<string>, onAck: () => void): void {
  const signer = clientSigner(m);
  for (let s = 0; s < streams; s++) {
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Broadcast', (b: Buffer) => b, (b: Buffer) => BroadcastResponse.deserializeBinary(b));
    const inFlight: string[] = [];
    const send = () => {
      const env = txEnvelope(signer, 'rch', 200);
      inFlight.push(envelopeTxId(env));
      call.write(Buffer.from(env));
    };
    call.on('data', (r: BroadcastResponse) => {
      const txId = inFlight.shift()!;
      if (r.getStatus() === Status.SUCCESS) acked.add(txId);
      onAck();
      send();
    });
    call.on('error', () => undefined);
    for (let i = 0; i < depth; i++) send();
  }
}

function broadcastAll(client: AtomicBroadcastClient, envelopes: Uint8Array[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Broadcast', (b: Buffer) => b, (b: Buffer) => BroadcastResponse.deserializeBinary(b));
    const statuses: number[] = [];
    call.on('data', (r: BroadcastResponse) => {
      statuses.push(r.getStatus());
      if (statuses.length === envelopes.length) {
        call.end();
        resolve(statuses);
      }
    });
    call.on('error', reject);
    for (const e of envelopes) call.write(Buffer.from(e));
  });
}

describe('orderer restart continuity (real process, SIGKILL)', () => {
  let dir: string;
  let m: Material;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-restart-');
    m = await generateMaterial(dir);
  });

  afterAll(async () => {
    if (running !== undefined) await kill(running);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged envelope, exactly once, on one unforked chain', async () => {
    const { configFile, dataDir } = writeNodeConfig(m, 'orderer0');
    const first = await startOrderer(configFile);
    running = first.child;
    const block = genesisBlock(m, 'rch', { batchSize: { maxMessageCount: 40, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 }, batchTimeout: '10s' });
    expect((await adminRequest(m, first.adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: block })).status).toBe(201);

    const acked = new Set<string>();
    const client = abClient(m, first.grpcPort);
    await new Promise<void>((resolve) => {
      let n = 0;
      // Few envelopes in flight and a kill at an ack count well past a multiple of the batch size:
      // acknowledged envelopes are still pending in the cutter when the process dies.
      blast(client, m, 2, 4, acked, () => {
        if (++n === 420) resolve();
      });
    });
    await kill(first.child);
    client.close();
    const inLedger = ledgerTxIds(dataDir, 'rch');
    // The orderer keeps blocks only: no world-state database next to them.
    expect(fs.readdirSync(path.join(dataDir, 'ledgers')).filter((f) => f.endsWith('.sqlite'))).toEqual(['rch.sqlite']);
    const onlyInWal = [...acked].filter((t) => !inLedger.has(t));
    expect(onlyInWal.length).toBeGreaterThan(0);

    const second = await startOrderer(configFile);
    running = second.child;
    const reader = abClient(m, second.grpcPort);
    const signer = clientSigner(m);
    // Fill a batch so the replayed envelopes (ordered first) are cut without waiting for the timer.
    const after = await broadcastAll(reader, Array.from({ length: 40 }, () => txEnvelope(signer, 'rch', 200)));
    expect(after.every((s) => s === Status.SUCCESS)).toBe(true);
    const blocks: Block[] = [];
    const seen = new Map<string, number>();
    await new Promise<void>((resolve, reject) => {
      const call = reader.makeBidiStreamRequest('/orderer.AtomicBroadcast/Deliver', (b: Buffer) => b, (b: Buffer) => DeliverResponse.deserializeBinary(b));
      call.on('data', (r: DeliverResponse) => {
        if (!r.hasBlock()) return reject(new Error(`deliver ended with status ${r.getStatus()}`));
        const b = r.getBlock()!;
        blocks.push(b);
        for (const d of b.getData()!.getDataList_asU8()) {
          const txId = parseEnvelope(d).channelHeader.txId;
          seen.set(txId, (seen.get(txId) ?? 0) + 1);
        }
        if ([...acked].every((t) => seen.has(t))) {
          call.cancel();
          resolve();
        }
      });
      call.on('error', () => undefined);
      call.write(Buffer.from(seekEnvelope(signer, 'rch', 'oldest', 'max')));
    });
    reader.close();

    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(onlyInWal.every((t) => seen.has(t))).toBe(true);
    blocks.forEach((b, i) => {
      expect(b.getHeader()!.getNumber()).toBe(i);
      if (i > 0) expect(Buffer.from(b.getHeader()!.getPreviousHash_asU8())).toEqual(Buffer.from(blockHeaderHash(blocks[i - 1]!.getHeader()!)));
    });
    await kill(second.child);
    running = undefined;
  });
});
