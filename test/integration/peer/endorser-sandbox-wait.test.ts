import * as fs from 'node:fs';
import * as path from 'node:path';
import { PackageStore } from '../../../core/chaincode/package-store';
import { packageChaincode } from '../../../core/chaincode/packager';
import { ChaincodeExecutor } from '../../../core/peer/endorser/chaincode-executor';
import { Endorser } from '../../../core/peer/endorser/endorser';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { type Harness, openHarness } from './channel-harness';
import { commitDefinitions } from './committed-definitions';
import { testDefinition } from '../../support/chaincode-definition';
import { CHANNEL, type Material, generateMaterial, genesisBlock, tmpDir } from './network-fixture';

const OFF_LOOP = path.join(__dirname, '../../unit/plugins/runtime-isolated-vm/fixtures/off-loop');
const EXECUTE_TIMEOUT_MS = 3000;

/**
 * The endorser hands its caller's cancellation to the runtime: a proposal whose client gave up
 * (cancelled call, passed deadline) while it waited for its chaincode's only sandbox is answered
 * unrun, without waiting for the sandbox, and without ever holding the channel's state. Real
 * endorser and executor, SQLite ledger, isolated-vm.
 */
describe('a proposal waiting for a sandbox', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let runtime: IsolatedVmRuntime;
  let endorser: Endorser;
  /** Another package of the same chaincode, installed, for a redefinition. */
  let upgrade: string;

  beforeAll(async () => {
    dir = tmpDir('weft-endorser-sandbox-wait-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'), genesisBlock(m, 7050, '100ms', CHANNEL));
    const packages = new PackageStore(path.join(dir, 'packages'));
    const { packageId } = await packages.save((await packageChaincode({ projectDir: OFF_LOOP, label: 'offloop_1' })).packageBytes);
    upgrade = (await packages.save((await packageChaincode({ projectDir: OFF_LOOP, label: 'offloop_2' })).packageBytes)).packageId;
    await commitDefinitions(h, [{ definition: testDefinition('offloop'), approvedPackage: packageId }]);
    runtime = new IsolatedVmRuntime({ sandboxesPerChaincode: 1 });
    const executor = new ChaincodeExecutor({ mspId: 'Org1MSP', runtime, packages, systemChaincode: () => undefined, executeTimeoutMs: EXECUTE_TIMEOUT_MS });
    const msp = new X509MspProvider();
    endorser = new Endorser(
      {
        localDeserializer: msp.createMsp(msp.loadMspConfig(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP')),
        channel: (id) => h.channels.channel(id),
        isSystemChaincode: () => false,
        timeWindowMs: 15 * 60_000,
        now: () => Date.now(),
      },
      executor,
      h.peers[0],
    );
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const signed = (args: readonly string[]): Uint8Array => {
    const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'offloop', args: args.map((a) => Buffer.from(a)), creator: h.users[0].serialized });
    return signProposal(built.proposalBytes, h.users[0]);
  };

  it('is answered at once with a 500 naming why, while the running one goes on; the next queued one still runs after it', async () => {
    const done: string[] = [];
    const send = (tag: string, args: readonly string[], signal?: AbortSignal): Promise<ReturnType<typeof parseProposalResponse>> =>
      endorser.processProposal(signed(args), { signal }).then((bytes) => {
        done.push(tag);
        return parseProposalResponse(bytes);
      });
    const spin = send('spin', ['Spin']);
    // The spin has the sandbox (its proposal checked, its package loaded) before the others queue.
    await new Promise((resolve) => setTimeout(resolve, EXECUTE_TIMEOUT_MS / 6));
    const client = new AbortController();
    const given = send('given up', ['Echo', 'given', '1', '10'], client.signal);
    const kept = send('kept', ['Echo', 'kept', '1', '10']);
    client.abort(new Error('the client cancelled the call'));
    const givenUp = await given;
    expect(done).toEqual(['given up']);
    expect(givenUp.response.status).toBe(500);
    expect(givenUp.response.message).toMatch(/^error in simulation: transaction [0-9a-f]{64} of chaincode offloop was not run: its caller gave up before it had a sandbox \(the client cancelled the call\)$/);
    const [spun, stayed] = await Promise.all([spin, kept]);
    expect(done).toEqual(['given up', 'spin', 'kept']);
    expect(spun.response.message).toMatch(/^timeout expired while executing transaction/);
    expect(stayed.response.status).toBe(200);
    expect(Buffer.from(stayed.response.payload).toString()).toBe('kept');
  }, 60_000);

  it('one that waited while a block redefined its chaincode with another package is answered unrun, naming the change', async () => {
    const spin = endorser.processProposal(signed(['Spin']));
    await new Promise((resolve) => setTimeout(resolve, EXECUTE_TIMEOUT_MS / 6));
    const waiting = endorser.processProposal(signed(['Echo', 'late', '1', '10']));
    // Commits once the spin's simulation ends, before the waiting proposal starts.
    const redefined = commitDefinitions(h, [{ definition: testDefinition('offloop', { sequence: 2, version: '2.0' }), approvedPackage: upgrade }]);
    const [, late] = await Promise.all([spin, waiting, redefined]);
    const answer = parseProposalResponse(late);
    expect(answer.response.status).toBe(500);
    expect(answer.response.message).toMatch(
      new RegExp(`^error in simulation: failed to execute transaction [0-9a-f]{64}: invalid invocation: chaincode offloop was redefined at sequence 2 \\(package ${upgrade}, was offloop_1:[0-9a-f]{64}\\) while the transaction waited to run: submit it again$`),
    );
  }, 60_000);
});
