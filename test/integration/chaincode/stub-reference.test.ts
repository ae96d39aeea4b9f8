import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChaincodeProposalPayload, Proposal, SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ChannelHeader, Header, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import { PRIVATE_PAGINATION_METHODS } from '../../../core/chaincode/sandbox/paged-query';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { MemoryWorld } from '../../unit/core/chaincode/memory-simulator';
import { creator } from '../../unit/core/chaincode/fixtures';

const PROJECT = path.join(__dirname, 'fixtures', 'stub-reference');
const REPO = path.join(__dirname, '..', '..', '..');

const ARGS = [Buffer.from('probe'), Buffer.from('a'), Buffer.from(''), Buffer.from('ünï 𝄞'), Buffer.from([0xff, 0x00, 0x80])];
const TRANSIENT = new Map([
  ['k1', Buffer.from('v1')],
  ['bin', Buffer.from([0, 1, 2, 255])],
]);
// Nanoseconds that are not whole milliseconds: the shim's Date truncates them.
const TIMESTAMP = { seconds: 1_700_000_123, nanos: 5_600_000 };
const NONCE = Buffer.from('0123456789abcdef0123456789abcdef');

/** A signed proposal as a client builds one, with its transient map and timestamp. */
function signedProposal(): Uint8Array {
  const ts = new Timestamp();
  ts.setSeconds(TIMESTAMP.seconds);
  ts.setNanos(TIMESTAMP.nanos);
  const ch = new ChannelHeader();
  ch.setType(3);
  ch.setVersion(1);
  ch.setChannelId('mychannel');
  ch.setTxId('tx-ref');
  ch.setTimestamp(ts);
  ch.setExtension$(Buffer.from('chaincode header extension'));
  const sh = new SignatureHeader();
  sh.setCreator(creator('user1'));
  sh.setNonce(NONCE);
  const header = new Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const payload = new ChaincodeProposalPayload();
  payload.setInput(Buffer.from('an invocation spec'));
  for (const [k, v] of TRANSIENT) payload.getTransientmapMap().set(k, v);
  const proposal = new Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const sp = new SignedProposal();
  sp.setProposalBytes(proposal.serializeBinary());
  sp.setSignature(Buffer.from('a signature'));
  return sp.serializeBinary();
}

/** Fabric's proposal binding: SHA-256 of nonce ‖ creator ‖ epoch (8 bytes, little endian). */
const binding = (): Buffer => createHash('sha256').update(Buffer.concat([NONCE, creator('user1'), Buffer.alloc(8)])).digest();

describe("the sandbox's fabric-shim stub tells a chaincode what fabric-shim 2.5's does", () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  afterAll(() => rt.close());

  test('arguments, creator, transient data, timestamps, binding, composite keys, endorsement policies, client identity', async () => {
    const sp = signedProposal();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-stub-ref-'));
    const run = spawnSync(process.execPath, [path.join(REPO, 'test', 'support', 'fabric-stub-reference.js'), path.join(PROJECT, 'probe.js'), path.join(dir, 'out.json')], {
      input: JSON.stringify({ args: ARGS.map((a) => a.toString('hex')), signedProposal: Buffer.from(sp).toString('hex'), channel: 'mychannel', txId: 'tx-ref', mspId: 'PeerOrgMSP' }),
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`reference runner failed: ${run.stderr}`);
    const reference = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as unknown;
    fs.rmSync(dir, { recursive: true, force: true });

    const { packageId } = await rt.install((await packageChaincode({ projectDir: PROJECT, label: 'stubref' })).packageBytes);
    const r = await rt.invoke(
      packageId,
      { chaincodeName: 'stubref', channelId: 'mychannel', txId: 'tx-ref', args: ARGS, transient: TRANSIENT, creator: creator('user1'), signedProposal: sp, timestamp: TIMESTAMP, binding: binding(), mspId: 'PeerOrgMSP' },
      { simulator: new MemoryWorld().simulator('tx-ref'), invokeChaincode: () => ({ status: 500, message: 'unused', payload: new Uint8Array(0) }) },
    );
    expect(r.response.message).toBe('');
    // Weft's own additions (paginated private queries, hyperledger/fabric#4197) are all fabric-shim lacks.
    const weft = JSON.parse(Buffer.from(r.response.payload).toString('utf8')) as { exports: { stubMethods: string[] } };
    expect(weft.exports.stubMethods.filter((m) => PRIVATE_PAGINATION_METHODS.includes(m))).toEqual([...PRIVATE_PAGINATION_METHODS].sort());
    weft.exports.stubMethods = weft.exports.stubMethods.filter((m) => !PRIVATE_PAGINATION_METHODS.includes(m));
    expect(weft).toEqual(reference);
  });
});
