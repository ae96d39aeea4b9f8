import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withPeerClient } from '../../../cli/services/client/peer-client';
import { findFreePorts } from '../../../cli/services/free-ports';
import { mspTooling } from '../../../cli/services/msp-tooling';
import { openNetwork } from '../../../cli/services/network/network-access';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { orgCrlRevokes } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { type CliResult, REPO, errorOf, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const PEER0 = 'peer0.org1.example.com';
const PEER1 = 'peer1.org1.example.com';
const ORG1 = path.join('organizations', 'peerOrganizations', 'org1.example.com');

/**
 * `weft network remove-peer` on a running 2-org network of real processes (two peers per org,
 * TLS, a deployed chaincode): Org1's anchor peer, peer0, is retired. The channel's anchor peer of
 * Org1 becomes peer1, invokes through Org1 and Org2 still commit, peer0's certificate is on Org1's
 * CRL in the channel and a proposal signed with its key (from the backup) is refused where the
 * same proposal was answered before; status no longer lists it, down and up work, and Org1's last
 * peer cannot be removed.
 */
describe('weft network remove-peer (2 orgs, 2 peers each, real processes)', () => {
  let tmp: string;
  let net: string;
  const weft = (...args: string[]): Promise<CliResult> => runCli([...args, '--json']);
  const invoke = async (key: string, value: string, org: string) => json(await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', key, value, '--org', org));
  const get = async (key: string, peer: string) => (json(await weft('chaincode', 'query', net, '--name', 'kv', 'Get', key, '--peer', peer)) as { result: string }).result;
  const config = async () => {
    const file = path.join(tmp, 'config.block');
    json(await weft('channel', 'fetch', net, 'config', '-o', file));
    return parseConfigBlock(fs.readFileSync(file));
  };
  /** qscc GetChainInfo on peer1.org1, signed by the identity in `mspDir` (a peer may read its channel). */
  const chainInfoAs = (mspDir: string) => {
    const layout = openNetwork(net);
    const peer1 = layout.peers().find((p) => p.id === PEER1)!;
    const signer = mspTooling().msp.loadSigningIdentity(mspDir, 'Org1MSP');
    return withPeerClient(layout.spec, peer1, { user: layout.user(layout.spec.orgs[0]!, 'User1') }, (c) => c.call(signer, 'mychannel', 'qscc', ['GetChainInfo', 'mychannel']));
  };
  const snapshot = (dir: string) => {
    const paths = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => !/^(logs|run)\b|\/data\b/.test(p)).sort();
    return { paths, files: paths.filter((p) => /\.yaml$/.test(p)).map((p) => fs.readFileSync(path.join(dir, p), 'utf8')) };
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-rmpeer-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(20);
    json(await weft('network', 'init', net, '--peers-per-org', '2', '--base-port', String(base), '--batch-timeout', '250ms'));
    json(await weft('network', 'up', net));
    json(await weft('chaincode', 'deploy', net, KV, '--name', 'kv'));
    await invoke('color', 'blue', 'Org1');
  }, 180_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("retires Org1's anchor peer: the anchor moves to peer1, its certificate is revoked, its folders kept; invokes through both orgs commit", async () => {
    const layout = openNetwork(net);
    const [peer0, peer1] = layout.peersOf(layout.spec.orgs[0]!).map((p) => p.address);
    const hostPort = (a: { host: string; port: number }) => `${a.host}:${a.port}`;
    expect((await config()).anchorPeers.get('Org1MSP')!.map(hostPort)).toEqual([peer0]);
    // Before: a proposal signed by peer0 is answered.
    await expect(chainInfoAs(path.join(net, ORG1, 'peers', PEER0, 'msp'))).resolves.toBeInstanceOf(Uint8Array);

    const removed = json(await weft('network', 'remove-peer', net, '--peer', PEER0));
    expect(removed).toMatchObject({
      org: 'Org1',
      peer: { id: PEER0, name: 'peer0', address: peer0 },
      anchorPeers: [{ channel: 'mychannel', removed: peer0, now: [peer1], configBlock: expect.any(Number) }],
      revoked: { serialNumbers: [expect.any(String)], crlNumber: 1, channels: [{ channel: 'mychannel', configBlock: expect.any(Number) }], tls: { serialNumbers: [expect.any(String)], crlNumber: 1 } },
      stopped: 'stopped',
      moved: [path.join(ORG1, 'peers', PEER0), path.join('nodes', PEER0), path.join('logs', `${PEER0}.log`)],
      configsUpdated: [PEER1, 'peer0.org2.example.com', 'peer1.org2.example.com'],
    });
    const backup = removed.backupDir as string;
    const oldMsp = path.join(backup, ORG1, 'peers', PEER0, 'msp');

    const after = await config();
    expect(after.anchorPeers.get('Org1MSP')!.map(hostPort)).toEqual([peer1]);
    const crls = after.msps.get('Org1MSP')!.getRevocationListList_asU8();
    const cert = fs.readFileSync(path.join(oldMsp, 'signcerts', `${PEER0}-cert.pem`));
    expect(orgCrlRevokes({ orgDir: path.join(net, ORG1), domain: 'org1.example.com' }, cert, crls)).toBe(true);
    // Its TLS certificate too, on the org TLS CA's CRL in the same revocation_list: Weft nodes refuse its connections.
    const tlsCert = fs.readFileSync(path.join(backup, ORG1, 'peers', PEER0, 'tls', 'server.crt'));
    expect(orgCrlRevokes({ orgDir: path.join(net, ORG1), domain: 'org1.example.com' }, tlsCert, crls, 'tlsca')).toBe(true);
    await expect(chainInfoAs(oldMsp)).rejects.toThrow(/access denied/);

    // Org2's running Gateway (never restarted) and Org1's remaining peer endorse and commit.
    await invoke('shape', 'round', 'Org2');
    await invoke('size', '7', 'Org1');
    expect(await get('shape', PEER1)).toBe('round');
    expect(await get('size', 'peer0.org2.example.com')).toBe('7');
    const status = json(await weft('network', 'status', net)) as unknown as { peers: { id: string }[] };
    expect(status.peers.map((p) => p.id)).not.toContain(PEER0);
  }, 120_000);

  it("refuses Org1's last peer, changing nothing", async () => {
    const before = snapshot(net);
    expect(errorOf(await weft('network', 'remove-peer', net, '--peer', PEER1))).toMatchObject({ code: 'LAST_PEER_OF_ORG', details: { field: '--peer' } });
    expect(snapshot(net)).toEqual(before);
  });

  it('network down and up run the network without it', async () => {
    json(await weft('network', 'down', net, '--grace', '5'));
    const up = json(await weft('network', 'up', net)) as { nodes?: { id: string }[] };
    expect(JSON.stringify(up)).not.toContain(PEER0);
    await invoke('after', 'restart', 'Org2');
    expect(await get('after', PEER1)).toBe('restart');
  }, 90_000);
});
