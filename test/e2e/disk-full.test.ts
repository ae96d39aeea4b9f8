import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Contract, type Gateway, type SubmittedTransaction } from '@hyperledger/fabric-gateway';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { checkLedgerWhole } from '../integration/ledger/ledger-check';
import { packageChaincode } from '../../core/chaincode/packager';
import {
  CHANNEL,
  KV_EVENTS_DIR,
  eventually,
  freePort,
  gatewayFor,
  generateMaterial,
  genesisBlock,
  install,
  joinOrderer,
  peerClient,
  propose,
  rawEndorser,
  signerOf,
  tmpDir,
  writeOrdererConfig,
  writePeerConfig,
  type Material,
  type PeerFiles,
} from '../integration/peer/network-fixture';
import { deployKv, type ProcessNetwork } from './process-network';
import { TmpfsNamespace } from './tmpfs-namespace';
import { ORDERER_MAIN, PEER_MAIN, procCpuMs, type WeftProcess } from './weft-process';

const utf8 = new TextDecoder();
/** What is left free on a node's filesystem before the load: a few blocks' worth. */
const LEAVE_KIB = 300;
const VALUE = 'v'.repeat(20_000);

/**
 * Reliability: a peer's and an orderer's data directory each on a small tmpfs (a user namespace,
 * no root), filled under load. The node pauses rather than skip or half-write a block, stays up
 * without spinning (also when restarted with the disk still full), says why (one log line and
 * `/healthz` 503 naming the directory and "no space left on device"; the Gateway's CommitStatus
 * and Broadcast answer UNAVAILABLE at once), and, once space is freed, resumes by itself: no
 * restart, every block it had, its state equal to a rebuild, every transaction it acknowledged
 * ordered, and it commits again. A chaincode install with no space leaves no file.
 */
describe('a node whose disk fills up (tmpfs in a user namespace, real processes)', () => {
  let dir: string;
  let ns: TmpfsNamespace | undefined;
  let m: Material;
  let orderer: WeftProcess;
  let ordererConfig: string;
  let ordererOps: number;
  const peers: WeftProcess[] = [];
  let peerFiles: [PeerFiles, PeerFiles];
  let ports: [number, number];
  const gateways: Gateway[] = [];

  const peerData = (): string => peerFiles[0].dataDir;
  const ordererData = (): string => path.join(m.dir, 'orderer0', 'data');
  const gateway = (i: 0 | 1): Gateway => {
    const g = gatewayFor(m.orgs[i], peerClient(m.orgs[i], ports[i]));
    gateways.push(g);
    return g;
  };
  const kv = (i: 0 | 1): Contract => gateway(i).getNetwork(CHANNEL).getContract('kv');
  const chainInfo = async (i: 0 | 1): Promise<{ height: number; hash: string }> => {
    const bytes = await gateway(i).getNetwork(CHANNEL).getContract('qscc').evaluateTransaction('GetChainInfo', CHANNEL);
    const bi = BlockchainInfo.deserializeBinary(bytes);
    return { height: bi.getHeight(), hash: Buffer.from(bi.getCurrentblockhash_asU8()).toString('hex') };
  };
  const health = async (port: number): Promise<{ status: number; body: { failed_checks?: { component: string; reason: string }[] } }> => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: res.status, body: (await res.json()) as { failed_checks?: { component: string; reason: string }[] } };
  };
  /** CPU the process uses over one idle second, in ms: a node retrying a failed write in a loop would use most of it. */
  const idleCpuMs = async (node: WeftProcess): Promise<number> => {
    const before = procCpuMs(node.child.pid);
    await new Promise((r) => setTimeout(r, 1000));
    return procCpuMs(node.child.pid) - before;
  };
  const errorLines = (node: WeftProcess, text: string): Record<string, unknown>[] =>
    node.logLines().filter((l) => (l.level as number) >= 50 && JSON.stringify(l.err ?? '').includes(text));

  beforeAll(async () => {
    dir = tmpDir('weft-diskfull-');
    m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1, o0, o1, oo] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    ports = [p0, p1];
    ordererOps = oo;
    const genesis = genesisBlock(m, ordererPort, '100ms');
    ordererConfig = writeOrdererConfig(m, ordererPort, adminPort).configFile;
    const yaml = parseYaml(fs.readFileSync(ordererConfig, 'utf8')) as { orderer: Record<string, unknown> };
    yaml.orderer.operations = { listenAddress: `127.0.0.1:${ordererOps}` };
    fs.writeFileSync(ordererConfig, stringifyYaml(yaml));
    peerFiles = [writePeerConfig(m, 0, ports, o0), writePeerConfig(m, 1, ports, o1)];
    // Org1's peer and the orderer on small filesystems of their own; Org2's peer on the real disk.
    ns = await TmpfsNamespace.create([
      { dir: peerData(), sizeKiB: 24 * 1024 },
      { dir: ordererData(), sizeKiB: 24 * 1024 },
    ]);
    orderer = await ns.spawnNode('orderer', ORDERER_MAIN, ordererConfig);
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    peers.push(await ns.spawnNode('peer0.org1', PEER_MAIN, peerFiles[0].configFile), await ns.spawnNode('peer0.org2', PEER_MAIN, peerFiles[1].configFile));
    for (const i of [0, 1] as const) {
      const endorser = rawEndorser(m.orgs[i], ports[i]);
      try {
        const res = await propose(endorser, signerOf(m.orgs[i], 'Admin'), '', 'cscc', ['JoinChain', genesis]);
        expect(res.response.status).toBe(200);
      } finally {
        endorser.close();
      }
    }
    // deployKv reads only the material, the ports and the client factory.
    await deployKv({ m, ports, client: (i: 0 | 1) => peerClient(m.orgs[i], ports[i]) } as Pick<ProcessNetwork, 'm' | 'ports' | 'client'> as ProcessNetwork);
  }, 180_000);

  afterAll(async () => {
    for (const g of gateways) g.close();
    for (const p of [...peers, orderer]) await p?.stop();
    ns?.destroy();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a peer pauses committing and says why (CommitStatus at once UNAVAILABLE), also after a restart on the full disk, then once space is freed resumes by itself, holds every block and the state a rebuild gives, and commits again', async () => {
    const ledgers = path.join(peerData(), 'ledgers');
    ns!.fill(peerData(), LEAVE_KIB);
    // Load through Org2's peer (on the real disk), which commits every block; Org1's peer endorses too.
    const load = kv(1);
    const committed: string[] = [];
    for (let round = 0; round < 30 && (await health(peerFiles[0].opsPort)).status === 200; round++) {
      const keys = Array.from({ length: 4 }, (_, i) => `p${round}-${i}`);
      await Promise.all(keys.map((k) => load.submitTransaction('Put', k, VALUE)));
      committed.push(...keys);
    }

    const sick = await health(peerFiles[0].opsPort);
    expect(sick.status).toBe(503);
    expect(sick.body.failed_checks).toEqual([{ component: 'ledger', reason: expect.stringContaining(`no space left on device in ${ledgers}`) }]);
    // One line for the pause, however many tries it takes.
    expect(errorLines(peers[0]!, `no space left on device in ${ledgers}`).filter((l) => l.component === 'committer')).toHaveLength(1);
    expect(peers[0]!.running).toBe(true);
    expect(await idleCpuMs(peers[0]!)).toBeLessThan(300);

    // Submitted through the paused peer's own Gateway: ordered, but its CommitStatus cannot come from
    // this peer for now, and says so instead of waiting out the client's deadline.
    const pausedSubmit = await kv(0).submitAsync('Put', { arguments: ['while-paused', 'ok'] });
    await expect(pausedSubmit.getStatus()).rejects.toMatchObject({ code: 14, message: expect.stringContaining('not committing blocks: its committer is paused until disk space is freed') as unknown });

    // A chaincode install with no space at all fails with ENOSPC and leaves no partial file.
    ns!.fill(peerData(), 0);
    const chaincodes = path.join(peerData(), 'chaincodes');
    const before = ns!.run(`ls -A '${chaincodes}'`);
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_full' });
    await expect(install(m.orgs[0], ports[0], built.packageBytes)).rejects.toThrow(/cannot write chaincode package 'kv_full:[0-9a-f]+' in .*: no space left on device \(ENOSPC\)/);
    expect(ns!.run(`ls -A '${chaincodes}'`)).toBe(before);

    // Restarted with the disk still full, it comes up, and reports the same failure rather than exiting.
    await peers[0]!.stop();
    peers[0] = await ns!.spawnNode('peer0.org1', PEER_MAIN, peerFiles[0].configFile);
    await eventually(async () => expect((await health(peerFiles[0].opsPort)).body.failed_checks?.[0]?.reason).toContain(`no space left on device in ${ledgers}`), 20_000);

    // Space freed, no restart: the committer's next try (backoff at most 30 s) commits, and the peer
    // catches up to the same chain as Org2's peer, reports healthy and commits through its own Gateway.
    ns!.free(peerData());
    const [i0, i1] = await eventually(async () => {
      const pair = [await chainInfo(0), await chainInfo(1)];
      expect(pair[0]).toEqual(pair[1]);
      return pair;
    }, 45_000);
    expect(i0!.height).toBe(i1!.height);
    expect((await health(peerFiles[0].opsPort)).status).toBe(200);
    await kv(0).submitTransaction('Put', 'after-peer-full', 'ok');
    const reader = kv(0);
    for (const key of [...committed, 'while-paused', 'after-peer-full']) expect(utf8.decode(await reader.evaluateTransaction('Get', key))).toBe(key.endsWith('-full') || key === 'while-paused' ? 'ok' : VALUE);
    await eventually(async () => expect(await chainInfo(0)).toEqual(await chainInfo(1)), 30_000);
    const last = await chainInfo(0);

    // On disk: every block whole and chained, state and history equal to a rebuild from the blocks.
    await peers[0]!.stop();
    const copy = path.join(dir, 'peer0-ledgers');
    ns!.copyOut(ledgers, copy);
    expect(checkLedgerWhole(copy, CHANNEL, ['kv', '_lifecycle'])).toEqual({ height: last.height, lastHash: last.hash });
    peers[0] = await ns!.spawnNode('peer0.org1', PEER_MAIN, peerFiles[0].configFile);
  }, 150_000);

  it('an orderer pauses its chain and refuses Broadcast naming the disk, then once space is freed resumes by itself and orders every transaction it acknowledged', async () => {
    const ledgers = path.join(ordererData(), 'ledgers');
    ns!.fill(ordererData(), LEAVE_KIB);
    const load = kv(1);
    const acknowledged: SubmittedTransaction[] = [];
    const refusals: string[] = [];
    // Until the chain has paused: a refusal may come first from the solo WAL, before a block append fails.
    for (let round = 0; round < 40 && !refusals.some((r) => r.includes('is paused')); round++) {
      const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => load.submitAsync('Put', { arguments: [`o${round}-${i}`, VALUE] })));
      for (const r of results) {
        if (r.status === 'fulfilled') acknowledged.push(r.value);
        else refusals.push(JSON.stringify({ message: (r.reason as Error).message, details: (r.reason as { details?: unknown }).details }));
      }
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(0);
    // Broadcast answers SERVICE_UNAVAILABLE naming the full disk: the solo WAL's write, or the chain's
    // failure to append a block, naming the block store's directory.
    for (const r of refusals) expect(r).toMatch(/status=SERVICE_UNAVAILABLE, info=.*no space left on device/);
    expect(refusals.some((r) => r.includes(`no space left on device in ${ledgers} (SQLITE_FULL)`))).toBe(true);
    expect(errorLines(orderer, `no space left on device in ${ledgers}`)).not.toHaveLength(0);
    expect(refusals.some((r) => r.includes(`chain ${CHANNEL} is paused: `) && r.includes(`no space left on device in ${ledgers}`))).toBe(true);
    // One line for the pause, however many tries it takes.
    expect(errorLines(orderer, `no space left on device in ${ledgers}`).filter((l) => String(l.msg).includes('retrying the same block'))).toHaveLength(1);
    const sick = await health(ordererOps);
    expect(sick.status).toBe(503);
    expect(sick.body.failed_checks).toEqual([
      { component: 'channels', reason: expect.stringMatching(new RegExp(`^channels not serving: ${CHANNEL} \\(paused, resumes by itself: .*no space left on device in ${ledgers}`)) },
    ]);
    expect(orderer.running).toBe(true);
    expect(await idleCpuMs(orderer)).toBeLessThan(300);

    // Space freed, no restart: the chain writes the block it was retrying and every envelope it acknowledged.
    ns!.free(ordererData());
    for (const tx of acknowledged) expect(await tx.getStatus()).toMatchObject({ successful: true, transactionId: tx.getTransactionId() });
    await eventually(async () => expect((await health(ordererOps)).status).toBe(200), 45_000);
    await load.submitTransaction('Put', 'after-orderer-full', 'ok');
    await eventually(async () => expect(await chainInfo(0)).toEqual(await chainInfo(1)), 30_000);
  }, 120_000);
});
