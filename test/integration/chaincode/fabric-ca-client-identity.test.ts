import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChannelHeader, Header, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeProposalPayload, Proposal, SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import { serializeIdentity } from '../../../core/protocol/serialized-identity';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { MemoryWorld } from '../../unit/core/chaincode/memory-simulator';

const PROJECT = path.join(__dirname, 'fixtures', 'client-identity-reference');
const REPO = path.join(__dirname, '..', '..', '..');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'fabric-ca-1.5.5');
const TIMESTAMP = { seconds: 1_700_000_000, nanos: 0 };

/** Fabric CA 1.5.5's enrollment and TLS certificates, and one certificate with names Fabric CA does not write. */
const CERTIFICATES = [
  ...fs.readdirSync(path.join(FIXTURES, 'identities')).sort().map((f) => path.join('identities', f)),
  path.join('synthetic', 'odd-names.pem'),
];

function signedProposal(creator: Uint8Array): Uint8Array {
  const ch = new ChannelHeader();
  ch.setType(3);
  ch.setChannelId('mychannel');
  ch.setTxId('tx-ci');
  const sh = new SignatureHeader();
  sh.setCreator(creator);
  sh.setNonce(Buffer.from('nonce'));
  const header = new Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const proposal = new Proposal();
  proposal.setHeader(header.serializeBinary());
  const payload = new ChaincodeProposalPayload();
  payload.setInput(Buffer.from('an invocation spec')); // fabric-shim refuses an empty payload
  proposal.setPayload(payload.serializeBinary());
  const sp = new SignedProposal();
  sp.setProposalBytes(proposal.serializeBinary());
  sp.setSignature(Buffer.from('a signature'));
  return sp.serializeBinary();
}

/** What fabric-shim 2.5's own ClientIdentity answers, in its own process (its logger writes to stdout). */
function reference(sp: Uint8Array): unknown {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ci-ref-'));
  try {
    const run = spawnSync(process.execPath, [path.join(REPO, 'test', 'support', 'fabric-stub-reference.js'), path.join(PROJECT, 'probe.js'), path.join(dir, 'out.json')], {
      input: JSON.stringify({ args: [Buffer.from('probe').toString('hex')], signedProposal: Buffer.from(sp).toString('hex'), channel: 'mychannel', txId: 'tx-ci', mspId: 'Org1MSP' }),
      encoding: 'utf8',
    });
    // fabric-shim reports its own throws as uncaught exceptions and still exits 0
    if (run.status !== 0 || !fs.existsSync(path.join(dir, 'out.json'))) throw new Error(`reference runner failed: ${run.stderr}${run.stdout}`);
    return JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as unknown;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("ctx.clientIdentity of a Fabric CA identity in the sandbox is fabric-shim 2.5's", () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  let packageId: string;
  beforeAll(async () => {
    packageId = (await rt.install((await packageChaincode({ projectDir: PROJECT, label: 'cidref' })).packageBytes)).packageId;
  });
  afterAll(() => rt.close());

  async function sandbox(creator: Uint8Array, sp: Uint8Array): Promise<unknown> {
    const r = await rt.invoke(
      packageId,
      { chaincodeName: 'cidref', channelId: 'mychannel', txId: 'tx-ci', args: [Buffer.from('probe')], creator, signedProposal: sp, timestamp: TIMESTAMP, mspId: 'Org1MSP' },
      { simulator: new MemoryWorld().simulator('tx-ci'), invokeChaincode: () => ({ status: 500, message: 'unused', payload: new Uint8Array(0) }) },
    );
    expect(r.response.message).toBe('');
    return JSON.parse(Buffer.from(r.response.payload).toString('utf8')) as unknown;
  }

  test('getID, getMSPID, attributes and assertions of every certificate', async () => {
    for (const file of CERTIFICATES) {
      const creator = serializeIdentity('Org1MSP', fs.readFileSync(path.join(FIXTURES, file)));
      const sp = signedProposal(creator);
      expect({ file, seen: await sandbox(creator, sp) }).toEqual({ file, seen: reference(sp) });
    }
  });

  test("an affiliated Fabric CA user's ID lists each OU of its multi-valued RDN as fabric-shim does", async () => {
    const creator = serializeIdentity('Org1MSP', fs.readFileSync(path.join(FIXTURES, 'identities', 'org1-auditor1.pem')));
    const got = (await sandbox(creator, signedProposal(creator))) as { id: string; values: Record<string, string | null>; auditor: boolean };
    expect(got.id).toMatch(/^x509::\/C=US\/ST=North Carolina\/O=Hyperledger(\/OU=(org1|client|department1)){3}\/CN=auditor1::/);
    expect(got.values).toMatchObject({ role: 'auditor', 'hf.EnrollmentID': 'auditor1', 'hf.Type': 'client', 'hf.Affiliation': 'org1.department1', dept: null });
    expect(got.auditor).toBe(true);
  });
});
