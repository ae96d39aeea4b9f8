import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProposalResponse } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { Registry } from 'prom-client';
import { PackageStore } from '../../../core/chaincode/package-store';
import { packageChaincode } from '../../../core/chaincode/packager';
import { ChaincodeExecutor } from '../../../core/peer/endorser/chaincode-executor';
import { Endorser } from '../../../core/peer/endorser/endorser';
import { LIFECYCLE_NAMESPACE } from '../../../core/peer/lifecycle/lifecycle-state';
import { PeerMetrics } from '../../../core/peer/peer-metrics';
import { Qscc } from '../../../core/peer/scc/qscc';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { type ParsedProposalResponse, endorsementSignedData, parseProposalResponse } from '../../../core/protocol/proposal-response';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { sample } from '../../support/prometheus-text';
import { type Harness, openHarness } from './channel-harness';
import { commitDefinitions, writtenKeys } from './committed-definitions';
import { testDefinition } from '../../support/chaincode-definition';
import { CHANNEL, type Material, generateMaterial, tmpDir } from './network-fixture';

const utf8 = new TextDecoder();

/**
 * What a Fabric peer's ProcessProposal returns for each outcome of a simulation (core/endorser
 * ProcessProposalSuccessfullyOrError): a status below 400 is endorsed; from 400 to 499 the response
 * alone comes back; from 500 the response, the unsigned payload (its results, no event) and the
 * interest; a channel-less invocation's success is the response alone. A chaincode that cannot run
 * is a status-500 answer worded as Fabric words it.
 */
describe('endorser responses by chaincode status (Fabric ProcessProposalSuccessfullyOrError)', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let endorser: Endorser;
  const runtime = new IsolatedVmRuntime({ timeoutMs: 10_000, memoryLimitMb: 64 });
  const registry = new Registry();

  beforeAll(async () => {
    dir = tmpDir('weft-peer-endorser-responses-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
    const packages = new PackageStore(path.join(dir, 'packages'));
    const { packageBytes } = await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'statuses'), label: 'statuses' });
    const { packageId } = await packages.save(packageBytes);
    // The same code under another label: a callee runs in a sandbox of its own.
    const calleePackage = await packages.save((await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'statuses'), label: 'callee' })).packageBytes);
    // Installed but approved for no chaincode: not loaded at start (Fabric launches chaincode when invoked).
    const idle = await packages.save((await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'statuses'), label: 'idle' })).packageBytes);
    // `absent` is approved with a package not installed here; `unapproved` is not approved by Org1.
    await commitDefinitions(h, [
      { definition: testDefinition('st'), approvedPackage: packageId },
      { definition: testDefinition('init', { initRequired: true }), approvedPackage: packageId },
      { definition: testDefinition('absent'), approvedPackage: `absent:${'b'.repeat(64)}` },
      { definition: testDefinition('unapproved') },
      { definition: testDefinition('st2'), approvedPackage: calleePackage.packageId },
      { definition: testDefinition('plugged', { endorsementPlugin: 'custom' }), approvedPackage: packageId },
    ]);

    const qscc = new Qscc((id) => h.channels.channel(id));
    const executor = new ChaincodeExecutor({
      mspId: 'Org1MSP',
      runtime,
      packages,
      systemChaincode: (name) => (name === 'qscc' ? qscc : undefined),
      executeTimeoutMs: 10_000,
    });
    // As a peer does at start: a callee must be loaded before a chaincode calls it.
    expect(await executor.preloadInstalled([h.channels.channel(CHANNEL)!])).toEqual([]);
    expect([runtime.sandboxCount(packageId), runtime.sandboxCount(calleePackage.packageId), runtime.sandboxCount(idle.packageId)]).toEqual([1, 1, 0]);
    const mspProvider = new X509MspProvider();
    const localMsp = mspProvider.createMsp(mspProvider.loadMspConfig(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP'));
    endorser = new Endorser(
      { localDeserializer: localMsp, channel: (id) => h.channels.channel(id), isSystemChaincode: (name) => name === 'qscc' || name === LIFECYCLE_NAMESPACE, timeWindowMs: 15 * 60_000, now: () => Date.now() },
      executor,
      h.peers[0],
      new PeerMetrics(registry),
    );
  }, 60_000);

  afterAll(async () => {
    await runtime.close();
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function propose(chaincode: string, args: string[], channelId = CHANNEL): Promise<{ bytes: Uint8Array; res: ParsedProposalResponse; txId: string }> {
    const built = buildProposal({ channelId, chaincodeName: chaincode, args: args.map((a) => Buffer.from(a)), creator: h.users[0].serialized });
    const bytes = await endorser.processProposal(signProposal(built.proposalBytes, h.users[0]));
    return { bytes, res: parseProposalResponse(bytes), txId: built.txId };
  }

  /** `ProposalResponse{response}` and no other field, as Fabric answers what it does not endorse. */
  function expectResponseOnly(bytes: Uint8Array, status: number, message: string, payload: string): void {
    const pr = ProposalResponse.deserializeBinary(bytes);
    expect(pr.getVersion()).toBe(0);
    expect(pr.getPayload_asU8()).toHaveLength(0);
    expect(pr.hasEndorsement()).toBe(false);
    expect(pr.hasInterest()).toBe(false);
    expect(pr.getResponse()?.getStatus()).toBe(status);
    expect(pr.getResponse()?.getMessage()).toBe(message);
    expect(utf8.decode(pr.getResponse()?.getPayload_asU8())).toBe(payload);
  }

  it('endorses a status below 400: results, the event, the definition version, signed over payload ‖ endorser', async () => {
    const { res } = await propose('st', ['reply', '201', 'created', 'body']);
    expect(res.response).toMatchObject({ status: 201, message: 'created' });
    expect(res.version).toBe(1);
    const action = res.payload?.action;
    expect(action?.chaincodeId).toMatchObject({ name: 'st', version: '1.0' });
    expect(writtenKeys(action?.results as Uint8Array)).toEqual({ _lifecycle: [], st: ['k'] });
    expect(action?.events.length).toBeGreaterThan(0);
    const signed = endorsementSignedData(res.payloadBytes, res.endorsement as NonNullable<ParsedProposalResponse['endorsement']>);
    expect(signed.identity).toEqual(h.peers[0].serialized);
    expect(h.joined.channel.resources().deserializer.deserializeIdentity(signed.identity).verify(signed.data, signed.signature)).toBe(true);
  });

  it.each([400, 404, 499])('answers a chaincode status %i with its response alone, payload included, unendorsed', async (status) => {
    const { bytes } = await propose('st', ['reply', String(status), 'not here', 'why']);
    expectResponseOnly(bytes, status, 'not here', 'why');
  });

  it('answers a chaincode status 500 with the unsigned payload (its results, no event) and the interest', async () => {
    const { res } = await propose('st', ['reply', '500', 'boom', 'detail']);
    expect(res.response).toMatchObject({ status: 500, message: 'boom' });
    expect(utf8.decode(res.response.payload)).toBe('detail');
    expect(res.endorsement).toBeUndefined();
    expect(res.version).toBe(0);
    const action = res.payload?.action;
    expect(action?.chaincodeId).toMatchObject({ name: 'st', version: '1.0' });
    expect(writtenKeys(action?.results as Uint8Array)).toEqual({ _lifecycle: [], st: ['k'] });
    expect(action?.events).toHaveLength(0);
    expect(action?.response).toMatchObject({ status: 500, message: 'boom' });
    expect(res.interest?.chaincodes.map((c) => c.name)).toEqual(['st']);
  });

  it('answers a successful channel-less invocation with the response alone, unendorsed', async () => {
    const { bytes, res } = await propose('qscc', ['GetChainInfo', CHANNEL], '');
    expect(res.response.status).toBe(200);
    expectResponseOnly(bytes, 200, '', utf8.decode(res.response.payload));
    expect(res.response.payload.length).toBeGreaterThan(0);
  });

  it.each([
    ['not approved by this org', 'unapproved', "chaincode definition for 'unapproved' at sequence 1 on channel 'mychannel' has not yet been approved by this org"],
    ['approved with a package not installed here', 'absent', "chaincode definition for 'absent' exists, but chaincode is not installed"],
    ['not defined', 'nothing', 'chaincode nothing not found'],
  ])('words a chaincode %s as Fabric does', async (_what, chaincode, cause) => {
    const { bytes } = await propose(chaincode, ['reply', '200', 'ok', 'p']);
    expectResponseOnly(bytes, 500, `make sure the chaincode ${chaincode} has been successfully defined on channel mychannel and try again: ${cause}`, '');
  });

  it.each([
    ['a system chaincode', 'qscc', ['GetChainInfo', CHANNEL]],
    ['a chaincode without init_required', 'st', ['reply', '200', 'ok', 'p']],
  ])('refuses is_init on %s as Fabric does', async (_what, chaincode, args) => {
    const built = buildProposal({ channelId: CHANNEL, chaincodeName: chaincode, args: args.map((a) => Buffer.from(a)), creator: h.users[0].serialized, isInit: true });
    const bytes = await endorser.processProposal(signProposal(built.proposalBytes, h.users[0]));
    expectResponseOnly(bytes, 500, `error in simulation: failed to execute transaction ${built.txId}: invalid invocation: chaincode '${chaincode}' does not require initialization but called as init`, '');
  });

  it('endorses nothing for a definition naming an endorsement plugin this peer lacks, and evaluates nothing for it either', async () => {
    const unplugged = "endorsing with plugin failed: plugin with name custom could not be used: plugin with name custom wasn't found";
    const { bytes } = await propose('plugged', ['reply', '200', 'ok', 'p']);
    expectResponseOnly(bytes, 500, unplugged, '');
    // Counted as Fabric counts a failed EndorseWithPlugin.
    const failures = { channel: CHANNEL, chaincode: 'plugged', chaincodeerror: 'false' };
    expect(sample(await registry.metrics(), 'endorser_endorsement_failures', failures)).toBe(1);
    // Its chaincode errors are answered before any plugin is needed.
    expect((await propose('plugged', ['reply', '500', 'boom', 'p'])).res.payload?.action.response).toMatchObject({ status: 500, message: 'boom' });
    const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'plugged', args: ['reply', '200', 'ok', 'p'].map((a) => Buffer.from(a)), creator: h.users[0].serialized });
    await expect(endorser.simulate(signProposal(built.proposalBytes, h.users[0]), { readWriteSet: false })).rejects.toThrow(unplugged);
  });

  it("counts each chaincode status range, lookup failure and auth filter refusal as Fabric's endorser metrics do", async () => {
    const metric = async (name: string, labels: Record<string, string>): Promise<number> => sample(await registry.metrics(), name, labels);
    const st = { channel: CHANNEL, chaincode: 'st' };
    const counts = async (chaincode: string): Promise<number[]> => {
      const labels = { channel: CHANNEL, chaincode };
      return [
        await metric('endorser_endorsement_failures', { ...labels, chaincodeerror: 'true' }),
        await metric('endorser_proposal_simulation_failures', labels),
        await metric('endorser_proposal_duration_count', { ...labels, success: 'false' }),
      ];
    };
    const [before, nothingBefore, absentBefore] = [await counts('st'), await counts('nothing'), await counts('absent')];
    const successes = await metric('endorser_successful_proposals', {});
    // 400 to 499: an endorsement failure caused by the chaincode.
    expect((await propose('st', ['reply', '404', 'missing', 'p'])).res.response.status).toBe(404);
    const delta = async (chaincode: string, from: number[]): Promise<number[]> => (await counts(chaincode)).map((n, i) => n - from[i]);
    expect(await delta('st', before)).toEqual([1, 0, 1]);
    // 500 and above: Fabric's endorser returns before counting any failure; only the duration says so.
    expect((await propose('st', ['reply', '500', 'boom', 'p'])).res.response.status).toBe(500);
    expect(await delta('st', before)).toEqual([1, 0, 2]);
    // Not defined, or not installed here: found before simulating (ChaincodeEndorsementInfo), no simulation failure.
    await propose('nothing', ['reply', '200', 'ok', 'p']);
    await propose('absent', ['reply', '200', 'ok', 'p']);
    expect(await delta('nothing', nothingBefore)).toEqual([0, 0, 1]);
    expect(await delta('absent', absentBefore)).toEqual([0, 0, 1]);
    expect(await metric('endorser_successful_proposals', {})).toBe(successes);
    expect(await metric('endorser_proposal_duration_count', { ...st, success: 'true' })).toBeGreaterThan(0);

    // Outside the time window: Fabric's auth filter refuses it in front of the endorser, which never counts it.
    const [received, invalid] = [await metric('endorser_proposals_received', {}), await metric('endorser_proposal_validation_failures', {})];
    const stale = buildProposal({ channelId: CHANNEL, chaincodeName: 'st', args: [Buffer.from('reply')], creator: h.users[0].serialized, timestamp: new Date(Date.now() - 3_600_000) });
    const refused = parseProposalResponse(await endorser.processProposal(signProposal(stale.proposalBytes, h.users[0]))).response;
    expect(refused.message).toMatch(/^request unauthorized due to incorrect timestamp/);
    expect([await metric('endorser_proposals_received', {}), await metric('endorser_proposal_validation_failures', {})]).toEqual([received, invalid]);
    // A signature that does not verify reaches the endorser: received, and failed initial validation.
    const forged = buildProposal({ channelId: CHANNEL, chaincodeName: 'st', args: [Buffer.from('reply')], creator: h.users[0].serialized });
    await endorser.processProposal(signProposal(forged.proposalBytes, h.users[1]));
    expect([await metric('endorser_proposals_received', {}), await metric('endorser_proposal_validation_failures', {})]).toEqual([received + 1, invalid + 1]);
  });

  it.each([
    ['a version suffix', 'st2:1.0', ''],
    ['its channel after a slash', `st2/${CHANNEL}`, ''],
  ])('reads a cc2cc callee name with %s as Fabric ParseName does; the callee records under its own name, its event dropped', async (_what, name, channel) => {
    const { res } = await propose('st', ['call', name, channel, 'reply', '201', 'made', 'there']);
    expect(res.response).toMatchObject({ status: 201, message: 'made' });
    expect(utf8.decode(res.response.payload)).toBe('there');
    const action = res.payload?.action;
    expect(writtenKeys(action?.results as Uint8Array).st2).toEqual(['k']);
    expect(action?.events).toHaveLength(0);
  });

  it('words an invocation before the Init of an init_required chaincode as Fabric does', async () => {
    const { bytes, txId } = await propose('init', ['reply', '200', 'ok', 'p']);
    expectResponseOnly(
      bytes,
      500,
      `error in simulation: failed to execute transaction ${txId}: invalid invocation: chaincode 'init' has not been initialized for this version, must call as init first`,
      '',
    );
  });
});
