/**
 * Orderer suite: a solo orderer in its own process (TLS, SQLite ledger, fsync'd WAL, signature and
 * /Channel/Writers checks on every envelope). Clients on several Broadcast streams send pre-signed
 * envelopes with 1 KiB of data; `ordered_envelopes_per_s` runs from the first send until a Deliver
 * stream has received every envelope in a written block. `deliver_blocks_per_s` re-reads the chain
 * over parallel Deliver streams.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BroadcastResponse, DeliverResponse, SeekInfo, SeekNewest, SeekOldest, SeekPosition, SeekSpecified } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { stringify } from 'yaml';
import { postConfigBlock } from '../cli/services/client/orderer-admin';
import { NODE_PROCESS_FLAGS } from '../core/node/node-flags';
import { buildConfigBlock } from '../core/protocol/config-block';
import { buildEnvelope } from '../core/protocol/envelope';
import type { Signer } from '../core/protocol/signer';
import { generateOrg, loadMspConfig, loadSigningIdentity, type GeneratedOrg } from '../plugins/msp-x509';
import { round, type BenchMetric } from './harness';

const CHANNEL = 'bench';
const ENVELOPES = Number(process.env.WEFT_BENCH_ORDERER_ENVELOPES ?? 40_000);
const WARMUP = 2_000;
const STREAMS = 8;
const DEPTH = 128;
const DATA_BYTES = 1024;
const repo = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

interface Orderer {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly adminPort: number;
}

function startOrderer(configFile: string): Promise<Orderer> {
  const ext = path.extname(__filename);
  const main = path.join(__dirname, '..', 'core', 'orderer', `main${ext}`);
  const extra = (process.env.WEFT_BENCH_ORDERER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const args = [...NODE_PROCESS_FLAGS, ...extra, ...(ext === '.ts' ? ['-r', path.join(repo, 'test/support/ts-register.js')] : []), main, '--config', configFile];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, UV_THREADPOOL_SIZE: String(os.cpus().length) } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"orderer-started"'));
      if (line !== undefined) resolve({ child, ...(JSON.parse(line) as { grpcPort: number; adminPort: number }) });
    });
    child.on('exit', (code) => reject(new Error(`orderer exited with ${code}`)));
  });
}

/** CPU seconds (user + system) the process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function join(ordererOrg: GeneratedOrg, port: number, block: Uint8Array): Promise<number> {
  const admin = ordererOrg.users.Admin!;
  const endpoint = {
    address: `127.0.0.1:${port}`,
    ca: fs.readFileSync(ordererOrg.tlsCaCertPath),
    cert: fs.readFileSync(admin.tlsCertPath),
    key: fs.readFileSync(admin.tlsKeyPath),
  };
  return (await postConfigBlock(endpoint, block)).status;
}

function seek(signer: Signer, start: SeekPosition, stop: SeekPosition): Buffer {
  const info = new SeekInfo();
  info.setStart(start);
  info.setStop(stop);
  return Buffer.from(buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: info.serializeBinary(), signer }));
}

function position(kind: 'oldest' | 'newest' | number): SeekPosition {
  const p = new SeekPosition();
  if (kind === 'oldest') p.setOldest(new SeekOldest());
  else if (kind === 'newest') p.setNewest(new SeekNewest());
  else {
    const s = new SeekSpecified();
    s.setNumber(kind);
    p.setSpecified(s);
  }
  return p;
}

/** Streams blocks from `from` on, calling `onBlock(envelopeCount)`; resolves with the stream's final status or when `done()` says so. */
function deliverStream(client: AtomicBroadcastClient, request: Buffer, onBlock: (envelopes: number, bytes: number) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Deliver', (b: Buffer) => b, (b: Buffer) => b);
    let finished = false;
    call.on('data', (raw: Buffer) => {
      if (finished) return;
      const r = DeliverResponse.deserializeBinary(raw);
      if (!r.hasBlock()) {
        finished = true;
        call.end();
        return resolve();
      }
      if (onBlock(r.getBlock()!.getData()!.getDataList().length, raw.length)) {
        finished = true;
        call.cancel();
        resolve();
      }
    });
    call.on('error', (err) => {
      if (!finished) reject(err);
    });
    call.write(request);
  });
}

/** Sends all envelopes over `streams` Broadcast streams with `depth` in flight each; resolves when all are answered. */
function broadcastAll(client: AtomicBroadcastClient, envelopes: readonly Buffer[], streams: number, depth: number): Promise<number> {
  let next = 0;
  let failures = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Broadcast', (b: Buffer) => b, (b: Buffer) => BroadcastResponse.deserializeBinary(b));
      let inFlight = 0;
      const pump = () => {
        while (inFlight < depth && next < envelopes.length) {
          inFlight++;
          call.write(envelopes[next++]!);
        }
        if (inFlight === 0) {
          call.end();
          resolve();
        }
      };
      call.on('data', (r: BroadcastResponse) => {
        inFlight--;
        if (r.getStatus() !== 200) failures++;
        pump();
      });
      call.on('error', reject);
      pump();
    });
  return Promise.all(Array.from({ length: streams }, one)).then(() => failures);
}

export default async function run(): Promise<BenchMetric[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-orderer-'));
  let orderer: Orderer | undefined;
  const clients: AtomicBroadcastClient[] = [];
  try {
    const ordererOrg = await generateOrg({ domain: 'example.com', mspId: 'OrdererMSP', kind: 'orderer', nodes: ['orderer'] }, dir);
    const peerOrg = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
    const node = ordererOrg.nodes.orderer!;
    const configFile = path.join(dir, 'orderer.yaml');
    fs.writeFileSync(
      configFile,
      stringify({
        id: 'orderer.example.com',
        kind: 'orderer',
        dataDir: path.join(dir, 'data'),
        logLevel: 'warn:orderer.consensus.solo=error',
        msp: { id: 'OrdererMSP', dir: node.mspDir },
        plugins: { ledger: { plugin: 'ledger-sqlite' }, ordering: { plugin: 'orderer-solo', options: {} } },
        orderer: {
          listenAddress: '127.0.0.1:0',
          tls: { cert: node.tlsCertPath, key: node.tlsKeyPath },
          admin: { listenAddress: '127.0.0.1:0', tls: { cert: node.tlsCertPath, key: node.tlsKeyPath, clientRootCAs: [ordererOrg.tlsCaCertPath] } },
        },
      }),
    );
    orderer = await startOrderer(configFile);
    const genesis = buildConfigBlock({
      channelId: CHANNEL,
      applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: loadMspConfig(peerOrg.mspDir, 'Org1MSP') }],
      ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(ordererOrg.mspDir, 'OrdererMSP'), endpoints: ['127.0.0.1:7050'] }],
      batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      batchTimeout: '100ms',
      consensusType: { type: 'solo' },
    });
    const status = await join(ordererOrg, orderer.adminPort, genesis.serializeBinary());
    if (status !== 201) throw new Error(`joining the bench channel failed with HTTP ${status}`);

    const signer = loadSigningIdentity(peerOrg.users.User1!.mspDir, 'Org1MSP');
    const creds = grpc.credentials.createSsl(fs.readFileSync(ordererOrg.tlsCaCertPath));
    const newClient = () => {
      const c = new AtomicBroadcastClient(`127.0.0.1:${orderer!.grpcPort}`, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.max_receive_message_length': 100 * 1024 * 1024 });
      clients.push(c);
      return c;
    };
    const data = Buffer.alloc(DATA_BYTES, 0x5a);
    const sign = (n: number) => Array.from({ length: n }, () => Buffer.from(buildEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data, signer })));

    // Two connections, as two client processes would have.
    const broadcasters = [newClient(), newClient()];
    const warm = sign(WARMUP);
    await Promise.all(broadcasters.map((c, i) => broadcastAll(c, warm.slice((i * WARMUP) / 2, ((i + 1) * WARMUP) / 2), STREAMS / 2, DEPTH)));
    const envelopes = sign(ENVELOPES);
    const watcher = newClient();

    // Wait until the warm-up is fully in blocks, then measure from the next block on.
    let height = 0;
    await deliverStream(watcher, seek(signer, position('newest'), position('newest')), () => true);
    let seen = 0;
    await deliverStream(watcher, seek(signer, position('oldest'), position('newest')), (n) => {
      seen += n;
      height++;
      return false;
    });
    while (seen < WARMUP + 1) {
      await new Promise((r) => setTimeout(r, 150));
      seen = 0;
      height = 0;
      await deliverStream(watcher, seek(signer, position('oldest'), position('newest')), (n) => {
        seen += n;
        height++;
        return false;
      });
    }

    let ordered = 0;
    const allOrdered = deliverStream(watcher, seek(signer, position(height), position(Number.MAX_SAFE_INTEGER)), (n) => (ordered += n) >= ENVELOPES);
    const cpu0 = cpuSeconds(orderer.child.pid!);
    const clientCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const half = ENVELOPES / 2;
    const failures = (await Promise.all(broadcasters.map((c, i) => broadcastAll(c, envelopes.slice(i * half, (i + 1) * half), STREAMS / 2, DEPTH)))).reduce((a, b) => a + b, 0);
    const acked = performance.now();
    await allOrdered;
    const t1 = performance.now();
    const cpu1 = cpuSeconds(orderer.child.pid!);
    const clientCpu = process.cpuUsage(clientCpu0);
    if (failures > 0) throw new Error(`${failures} envelopes were not answered SUCCESS`);

    // Deliver: the whole chain, 4 parallel streams, repeated for about 3 s.
    const readers = [newClient(), newClient()];
    let blocks = 0;
    let bytes = 0;
    const d0 = performance.now();
    while (performance.now() - d0 < 3000) {
      await Promise.all(
        [0, 1, 2, 3].map((i) =>
          deliverStream(readers[i % 2]!, seek(signer, position('oldest'), position('newest')), (_n, size) => {
            blocks++;
            bytes += size;
            return false;
          }),
        ),
      );
    }
    const deliverSeconds = (performance.now() - d0) / 1000;
    const seconds = (t1 - t0) / 1000;
    return [
      { name: 'ordered_envelopes_per_s', value: round(ENVELOPES / seconds, 0), unit: `envelopes/s (${DATA_BYTES} B data, ${STREAMS} streams × ${DEPTH} in flight, TLS, signatures + Writers policy checked, WAL fsync, blocks of ≤500)` },
      { name: 'broadcast_acked_per_s', value: round(ENVELOPES / ((acked - t0) / 1000), 0), unit: 'envelopes/s answered SUCCESS (durable in the WAL)' },
      { name: 'orderer_cpu_us_per_envelope', value: round(((cpu1 - cpu0) * 1e6) / ENVELOPES, 1), unit: 'µs CPU of the orderer process per ordered envelope' },
      { name: 'client_cpu_us_per_envelope', value: round((clientCpu.user + clientCpu.system) / ENVELOPES, 1), unit: 'µs CPU of the load client per envelope (send, acks, watching blocks)' },
      { name: 'deliver_blocks_per_s', value: round(blocks / deliverSeconds, 0), unit: `blocks/s (≈${round(bytes / Math.max(blocks, 1) / 1024, 0)} KiB each, 4 streams over TLS)` },
      { name: 'deliver_mib_per_s', value: round(bytes / deliverSeconds / (1024 * 1024), 1), unit: 'MiB/s of blocks delivered' },
    ];
  } finally {
    for (const c of clients) c.close();
    if (orderer !== undefined && orderer.child.exitCode === null) {
      const exited = new Promise((r) => orderer!.child.once('exit', r));
      orderer.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
