import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { joinFromSnapshot } from '../../../../cli/services/snapshot/snapshot-join';
import { assertSnapshotsReadableHere, snapshotPeers } from '../../../../cli/services/snapshot/snapshot-service';
import { verifySnapshots } from '../../../../cli/services/snapshot/snapshot-verify';
import { additionalMetadataJson, signableMetadataJson, SNAPSHOT_ADDITIONAL_METADATA_FILE, SNAPSHOT_SIGNABLE_METADATA_FILE } from '../../../../core/ledger/snapshot-metadata';

const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

/** A snapshot directory in Fabric's layout: data files, the signable metadata naming their hashes, and `snapshot_hash`. */
function writeSnapshot(dir: string, channelName: string, lastBlockNumber: number, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const signable = signableMetadataJson({
    channelName,
    lastBlockNumber,
    lastBlockHash: sha256(`block ${lastBlockNumber}`),
    previousBlockHash: sha256(`block ${lastBlockNumber - 1}`),
    fileHashes: new Map(Object.entries(files).map(([n, t]) => [n, sha256(t)])),
    stateDbType: 'CouchDB',
  });
  fs.writeFileSync(path.join(dir, SNAPSHOT_SIGNABLE_METADATA_FILE), signable);
  fs.writeFileSync(path.join(dir, SNAPSHOT_ADDITIONAL_METADATA_FILE), additionalMetadataJson(sha256(signable)));
}

describe('weft snapshot verify, submit --wait and channel join --snapshot: the checks made before any peer is asked', () => {
  let tmp: string;
  const files = { 'public_state.data': 'state records', 'txids.data': 'txids' };
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-snapverify-'));
    writeSnapshot(path.join(tmp, 'org1'), 'mychannel', 12, files);
    writeSnapshot(path.join(tmp, 'org2'), 'mychannel', 12, files);
    writeSnapshot(path.join(tmp, 'later'), 'mychannel', 13, files);
    writeSnapshot(path.join(tmp, 'other-state'), 'mychannel', 12, { ...files, 'public_state.data': 'other state records' });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('two orgs’ snapshots of the same block with the same snapshot_hash agree', async () => {
    const r = await verifySnapshots([path.join(tmp, 'org1'), path.join(tmp, 'org2')]);
    expect(r.agree).toBe(true);
    expect(r.snapshots.map((s) => [s.channel, s.block])).toEqual([
      ['mychannel', 12],
      ['mychannel', 12],
    ]);
    expect(r.snapshots[0]!.snapshotHash).toBe(sha256(fs.readFileSync(path.join(tmp, 'org1', SNAPSHOT_SIGNABLE_METADATA_FILE))).toString('hex'));
    expect(r.snapshots[1]!.snapshotHash).toBe(r.snapshots[0]!.snapshotHash);
  });

  it('another block, or the same block with other state, disagrees: SNAPSHOTS_DISAGREE lists each', async () => {
    await expect(verifySnapshots([path.join(tmp, 'org1'), path.join(tmp, 'later')])).rejects.toMatchObject({ code: 'SNAPSHOTS_DISAGREE', message: expect.stringContaining('block 13') });
    await expect(verifySnapshots([path.join(tmp, 'org1'), path.join(tmp, 'other-state')])).rejects.toMatchObject({
      code: 'SNAPSHOTS_DISAGREE',
      message: expect.stringContaining(path.join(tmp, 'other-state')),
    });
  });

  it('a data file changed after the snapshot was written is refused, naming the file', async () => {
    const tampered = path.join(tmp, 'tampered');
    fs.cpSync(path.join(tmp, 'org1'), tampered, { recursive: true });
    fs.writeFileSync(path.join(tampered, 'public_state.data'), 'state records, edited');
    await expect(verifySnapshots([tampered])).rejects.toMatchObject({ code: 'LEDGER_BAD_SNAPSHOT', message: expect.stringContaining('public_state.data') });
  });

  describe('on a network directory (never started)', () => {
    let net: string;
    beforeAll(async () => {
      // Never started: any attempt to reach a peer would fail PEER_UNREACHABLE, not with the errors expected.
      net = path.join(tmp, 'net');
      await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, peersPerOrg: 2, basePort: 42900, hosts: ['peer1.org2.example.com=10.255.255.1'] });
    });

    it('a tampered snapshot is refused before any peer is asked', async () => {
      const tampered = path.join(tmp, 'tampered-join');
      fs.cpSync(path.join(tmp, 'org1'), tampered, { recursive: true });
      fs.writeFileSync(path.join(tampered, 'txids.data'), 'txids plus one');
      await expect(joinFromSnapshot(net, tampered, { peers: ['peer1.org1.example.com'], timeoutMs: 1000 }, () => undefined)).rejects.toMatchObject({
        code: 'LEDGER_BAD_SNAPSHOT',
        message: expect.stringContaining('txids.data'),
      });
    });

    it('a snapshot of a channel the network does not list is refused by name', async () => {
      const elsewhere = path.join(tmp, 'elsewhere');
      writeSnapshot(elsewhere, 'audit', 3, files);
      await expect(joinFromSnapshot(net, elsewhere, { timeoutMs: 1000 }, () => undefined)).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL', message: expect.stringContaining('audit') });
    });

    it('a peer on another machine needs --peer-path, the snapshot as that machine sees it', async () => {
      await expect(joinFromSnapshot(net, path.join(tmp, 'org1'), { peers: ['peer1.org2.example.com'], timeoutMs: 1000 }, () => undefined)).rejects.toMatchObject({
        code: 'SNAPSHOT_NOT_ON_PEER_HOST',
        details: expect.objectContaining({ field: '--peer-path', peer: 'peer1.org2.example.com' }),
      });
    });

    it('submit --wait for a peer on another machine is refused before the request is sent: its snapshot root is not here', async () => {
      const layout = openNetwork(net);
      const remote = layout.peers().find((p) => p.id === 'peer1.org2.example.com')!;
      await expect(assertSnapshotsReadableHere(snapshotPeers(layout, remote.id, undefined))).rejects.toMatchObject({
        code: 'SNAPSHOT_NOT_ON_THIS_MACHINE',
        details: expect.objectContaining({ field: '--wait', peer: remote.id }),
      });
      // The local ones pass: their roots are under their data directories.
      await expect(assertSnapshotsReadableHere(snapshotPeers(layout, undefined, 'Org1'))).resolves.toBeUndefined();
    });

    it('an unknown --peer is refused by name', async () => {
      await expect(joinFromSnapshot(net, path.join(tmp, 'org1'), { peers: ['peer9.org1.example.com'], timeoutMs: 1000 }, () => undefined)).rejects.toMatchObject({
        code: 'UNKNOWN_PEER',
        details: expect.objectContaining({ field: '--peer' }),
      });
    });
  });
});
