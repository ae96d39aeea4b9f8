import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { addPeer, type AddPeerOptions } from '../../../../cli/services/network/network-add-peer';
import { exportNetwork } from '../../../../cli/services/network/network-export';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';

const quiet = (): void => {};
const free = (): Promise<boolean> => Promise.resolve(true);
const ORG1 = path.join('organizations', 'peerOrganizations', 'org1.example.com');

/**
 * `weft network add-peer` without starting anything: its refusals (each naming the field, nothing
 * written), a failure while moving the material into place (nothing left), and what it writes:
 * the peer's certificates from the org's CAs, network.yaml, its config and the other peers'.
 */
describe('network add-peer: refusals, and the peer written without starting it', () => {
  let tmp: string;
  let net: string;
  /** network.yaml, every node config and every path under the directory. */
  const state = (dir = net) => {
    const paths = (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
    return { paths, yaml: paths.filter((p) => p.endsWith('.yaml')).map((p) => fs.readFileSync(path.join(dir, p), 'utf8')) };
  };
  const add = (options: Partial<AddPeerOptions>) => addPeer(net, { org: 'Org1', start: false, ...options }, quiet, free);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-addpeer-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 41500 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each([
    [{ org: 'Org9' }, 'UNKNOWN_ORG', '--org', 'Org1 (Org1MSP), Org2 (Org2MSP)'],
    [{ org: 'OrdererMSP' }, 'NOT_A_PEER_ORG', '--org', 'is the orderer org'],
    [{ org: 'example.com' }, 'NOT_A_PEER_ORG', '--org', 'OrdererOrg (OrdererMSP)'],
    [{ name: 'peer0' }, 'PEER_EXISTS', '--name', 'already has a peer peer0'],
    [{ name: 'peer_1' }, 'BAD_PEER_NAME', '--name', 'a lower-case host label'],
    [{ name: 'Peer1' }, 'BAD_PEER_NAME', '--name', 'a lower-case host label'],
    [{ port: 41502 }, 'PORT_TAKEN', '--port', 'already has that port'],
    [{ host: '::1' }, 'BAD_HOST', '--host', 'for IPv6, use a DNS name'],
    [{ snapshot: '/tmp/x' }, 'SNAPSHOT_NEEDS_START', '--snapshot', '--no-start'],
  ])('%j: %s naming %s, nothing written', async (options, code, field, text) => {
    const before = state();
    await expect(add(options)).rejects.toMatchObject({ code, message: expect.stringContaining(text), details: { field } });
    expect(state()).toEqual(before);
  });

  it('checks --snapshot before writing anything: a directory that is no snapshot is refused, nothing written', async () => {
    const before = state();
    await expect(add({ start: true, snapshot: path.join(tmp, 'no-snapshot') })).rejects.toMatchObject({ code: 'LEDGER_BAD_SNAPSHOT' });
    expect(state()).toEqual(before);
  });

  it('refuses a port something on this machine listens on', async () => {
    const before = state();
    await expect(addPeer(net, { org: 'Org1', start: false, port: 41600 }, quiet, (p) => Promise.resolve(p !== 41600))).rejects.toMatchObject({ code: 'PORT_IN_USE', details: { field: '--port' } });
    expect(state()).toEqual(before);
  });

  it("refuses a name whose folder is on disk though network.yaml lists it no more", async () => {
    const left = path.join(net, 'nodes', 'peer7.org1.example.com');
    fs.mkdirSync(left);
    try {
      await expect(add({ name: 'peer7' })).rejects.toMatchObject({ code: 'PEER_EXISTS', message: expect.stringContaining(left) });
    } finally {
      fs.rmdirSync(left);
    }
  });

  it('refuses a directory from weft network export (no CA keys): CA_KEY_NOT_HERE, nothing written', async () => {
    const exported = path.join(tmp, 'org1');
    exportNetwork(net, exported, ['Org1'], quiet);
    const before = state(exported);
    await expect(addPeer(exported, { org: 'Org1', start: false }, quiet, free)).rejects.toMatchObject({ code: 'CA_KEY_NOT_HERE' });
    expect(state(exported)).toEqual(before);
  });

  it('leaves nothing when moving the material into place fails half way', async () => {
    // `nodes` a file: the crypto folder moves in, the node folder cannot follow.
    fs.renameSync(path.join(net, 'nodes'), path.join(tmp, 'nodes.away'));
    fs.writeFileSync(path.join(net, 'nodes'), '');
    try {
      const before = state();
      await expect(add({ name: 'peer3' })).rejects.toThrow();
      expect(state()).toEqual(before);
    } finally {
      fs.rmSync(path.join(net, 'nodes'));
      fs.renameSync(path.join(tmp, 'nodes.away'), path.join(net, 'nodes'));
    }
  });

  it("issues peer1 from Org1's CAs (NodeOU peer, TLS naming its host), lists it and tells the other peers", async () => {
    const result = await add({ host: 'peer1.example.net' });
    const spec = loadNetworkSpec(net);
    const peer1 = spec.orgs[0]!.peers[1]!;
    // Ports above the network's highest (41506, the orderer's operations port).
    expect(peer1).toEqual({ name: 'peer1', host: 'peer1.example.net', port: 41507, operationsPort: 41508 });
    expect(result).toMatchObject({ peer: { id: 'peer1.org1.example.com', address: 'peer1.example.net:41507' }, configsUpdated: ['peer0.org1.example.com', 'peer0.org2.example.com'], restartNeeded: [], started: false });

    const dir = path.join(net, ORG1, 'peers', 'peer1.org1.example.com');
    const sign = new X509Certificate(fs.readFileSync(path.join(dir, 'msp', 'signcerts', 'peer1.org1.example.com-cert.pem')));
    const tls = new X509Certificate(fs.readFileSync(path.join(dir, 'tls', 'server.crt')));
    expect(sign.subject).toContain('OU=peer');
    expect(sign.subject).toContain('CN=peer1.org1.example.com');
    expect(sign.verify(new X509Certificate(fs.readFileSync(path.join(net, ORG1, 'ca', 'ca.org1.example.com-cert.pem'))).publicKey)).toBe(true);
    expect(tls.verify(new X509Certificate(fs.readFileSync(path.join(net, ORG1, 'tlsca', 'tlsca.org1.example.com-cert.pem'))).publicKey)).toBe(true);
    expect(tls.checkHost('peer1.example.net')).toBe('peer1.example.net');
    expect(tls.checkHost('peer1.org1.example.com')).toBe('peer1.org1.example.com');
    for (const key of [path.join(dir, 'msp', 'keystore', 'priv_sk'), path.join(dir, 'tls', 'server.key')]) expect(fs.statSync(key).mode & 0o777).toBe(0o600);

    const config = parseYaml(fs.readFileSync(path.join(net, 'nodes', 'peer1.org1.example.com', 'peer.yaml'), 'utf8')) as { peer: { externalAddress: string; gateway: { peers: { address: string }[] } } };
    expect(config.peer.externalAddress).toBe('peer1.example.net:41507');
    expect(config.peer.gateway.peers.map((p) => p.address)).toEqual(['127.0.0.1:41502', '127.0.0.1:41504']);
    const other = fs.readFileSync(path.join(net, 'nodes', 'peer0.org2.example.com', 'peer.yaml'), 'utf8');
    expect(other.startsWith('# peer peer0.org2.example.com: generated from network.yaml by weft network init')).toBe(true);
    expect((parseYaml(other) as typeof config).peer.gateway.peers).toContainEqual(
      expect.objectContaining({ address: 'peer1.example.net:41507', mspId: 'Org1MSP', serverNameOverride: 'peer1.org1.example.com' }),
    );

    // The next one is peer2; peer1 is now taken.
    await expect(add({ name: 'peer1' })).rejects.toMatchObject({ code: 'PEER_EXISTS' });
    expect((await add({})).peer.id).toBe('peer2.org1.example.com');
  });
});
