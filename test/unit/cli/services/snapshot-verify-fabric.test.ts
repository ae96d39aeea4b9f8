import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifySnapshots } from '../../../../cli/services/snapshot/snapshot-verify';
import {
  additionalMetadataJson,
  readSnapshotMetadata,
  sha256Hex,
  signableMetadataJson,
  SNAPSHOT_ADDITIONAL_METADATA_FILE,
  SNAPSHOT_SIGNABLE_METADATA_FILE,
} from '../../../../core/ledger/snapshot-metadata';

/** Block 11 of one channel as a Fabric 2.5.6 peer on LevelDB and a Weft peer each exported it (see the fixture's README). */
const FIXTURE = path.join(__dirname, '../../../fixtures/fabric-2.5/snapshot-block-11');

describe('weft snapshot verify against a Fabric 2.5 peer’s snapshot of the same ledger', () => {
  let tmp: string;
  let fabricDir: string;
  let weftDir: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-snapverify-fabric-'));
    fabricDir = path.join(tmp, 'fabric');
    weftDir = path.join(tmp, 'weft');
    fs.cpSync(path.join(FIXTURE, 'fabric-peer'), fabricDir, { recursive: true });
    // The Weft peer's data files were byte-identical to the Fabric peer's; only its two metadata files differ.
    fs.cpSync(path.join(FIXTURE, 'fabric-peer'), weftDir, { recursive: true });
    fs.cpSync(path.join(FIXTURE, 'weft-peer-metadata'), weftDir, { recursive: true });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('agrees: the snapshot_hash values differ only by state_db_type (CouchDB vs SimpleKeyValueDB)', async () => {
    const r = await verifySnapshots([weftDir, fabricDir]);
    expect(r.agree).toBe(true);
    expect(r.stateDbTypesDiffer).toBe(true);
    expect(r.snapshots.map((s) => [s.stateDbType, s.snapshotHash])).toEqual([
      ['CouchDB', 'be0ce7ffe5f9efc4f481d30c661c559022126b93511b4c4d5e8d3793fedf93a7'],
      ['SimpleKeyValueDB', '1deaa9e09bf6944ebd599dc11acfb844aca0e3bc7407262c1e600f8aabcea89e'],
    ]);
  });

  it('forgives only state_db_type: a changed data file still disagrees, and one type reports no difference', async () => {
    expect((await verifySnapshots([fabricDir, fabricDir])).stateDbTypesDiffer).toBe(false);
    const tampered = path.join(tmp, 'fabric-other-txids');
    fs.cpSync(fabricDir, tampered, { recursive: true });
    fs.writeFileSync(path.join(tampered, 'txids.data'), 'other txids');
    const meta = readSnapshotMetadata(tampered);
    const fileHashes = new Map(meta.fileHashes);
    fileHashes.set('txids.data', Buffer.from(sha256Hex(Buffer.from('other txids')), 'hex'));
    const signable = signableMetadataJson({ ...meta, fileHashes });
    fs.writeFileSync(path.join(tampered, SNAPSHOT_SIGNABLE_METADATA_FILE), signable);
    fs.writeFileSync(path.join(tampered, SNAPSHOT_ADDITIONAL_METADATA_FILE), additionalMetadataJson(Buffer.from(sha256Hex(Buffer.from(signable)), 'hex')));
    await expect(verifySnapshots([weftDir, tampered])).rejects.toMatchObject({ code: 'SNAPSHOTS_DISAGREE', message: expect.stringContaining(tampered) });
  });
});
