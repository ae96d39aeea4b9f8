import * as fs from 'node:fs';
import * as path from 'node:path';
import { QueryChaincodeDefinitionsResult } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { PackageStore } from '../../../core/chaincode/package-store';
import { packageChaincode } from '../../../core/chaincode/packager';
import type { JoinedChannel } from '../../../core/peer/channel/channel-manager';
import { ChaincodeExecutor } from '../../../core/peer/endorser/chaincode-executor';
import { Endorser } from '../../../core/peer/endorser/endorser';
import { ChaincodeInstaller } from '../../../core/peer/lifecycle/chaincode-installer';
import { LifecycleScc } from '../../../core/peer/lifecycle/lifecycle-scc';
import { LocalPolicies } from '../../../core/peer/scc/acl';
import { Cscc } from '../../../core/peer/scc/cscc';
import { Qscc } from '../../../core/peer/scc/qscc';
import type { SystemChaincode } from '../../../core/peer/scc/system-chaincode';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { type ParsedProposalResponse, parseProposalResponse } from '../../../core/protocol/proposal-response';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { type Harness, openHarness } from './channel-harness';
import { commitDefinitions, writtenKeys } from './committed-definitions';
import { testDefinition } from '../../support/chaincode-definition';
import { CHANNEL, type Material, generateMaterial, genesisBlock, tmpDir } from './network-fixture';

const OTHER = 'otherchannel';
const utf8 = new TextDecoder();

/**
 * What chaincode sees of Fabric's chaincode-to-chaincode calls (core/chaincode/handler.go
 * HandleInvokeChaincode) and of its transaction contexts (transaction_contexts.go): system
 * chaincodes are called and answer for themselves, a chaincode may call itself on another channel
 * (a query there), and a transaction ID runs at most once at a time in one chaincode on a channel.
 * The `statuses` fixture's `call <chaincode> <channel> <args…>` answers with what the callee
 * answered, or fails with the message of the error its `invokeChaincode` threw.
 */
describe('chaincode-to-chaincode calls and transaction contexts (Fabric HandleInvokeChaincode, TransactionContexts)', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let endorser: Endorser;
  const runtime = new IsolatedVmRuntime({ timeoutMs: 10_000, memoryLimitMb: 64 });

  beforeAll(async () => {
    dir = tmpDir('weft-peer-chaincode-contexts-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
    h.channels.join(genesisBlock(m, 7050, '100ms', OTHER));
    const other: Harness = { ...h, joined: h.channels.get(OTHER) as JoinedChannel };
    const packages = new PackageStore(path.join(dir, 'packages'));
    const fixture = path.join(__dirname, 'fixtures', 'statuses');
    const { packageId } = await packages.save((await packageChaincode({ projectDir: fixture, label: 'statuses' })).packageBytes);
    const callee = await packages.save((await packageChaincode({ projectDir: fixture, label: 'callee' })).packageBytes);
    // `st` runs the same package on both channels; `twin` is another name for that package; `st2`
    // runs a package of its own; `solo` is defined on this channel alone.
    const approved = (name: string, pkg: string) => ({ definition: testDefinition(name), approvedPackage: pkg });
    await commitDefinitions(h, [approved('st', packageId), approved('twin', packageId), approved('st2', callee.packageId), approved('solo', packageId)]);
    await commitDefinitions(other, [approved('st', packageId)]);

    const mspProvider = new X509MspProvider();
    const localMsp = mspProvider.createMsp(mspProvider.loadMspConfig(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP'));
    const qscc = new Qscc((id) => h.channels.channel(id));
    const cscc = new Cscc({
      local: new LocalPolicies(localMsp, 'Org1MSP'),
      channel: (id) => h.channels.channel(id),
      channelIds: () => [CHANNEL, OTHER],
      join: () => undefined,
    });
    const lifecycle = new LifecycleScc(new LocalPolicies(localMsp, 'Org1MSP'), new ChaincodeInstaller(packages, undefined), () => [h.joined.channel]);
    const sccs = new Map<string, SystemChaincode>([
      ['qscc', qscc],
      ['cscc', cscc],
      ['_lifecycle', lifecycle],
    ]);
    const executor = new ChaincodeExecutor({
      mspId: 'Org1MSP',
      runtime,
      packages,
      systemChaincode: (name) => sccs.get(name),
      channel: (id) => h.channels.channel(id),
      executeTimeoutMs: 10_000,
    });
    expect(await executor.preloadInstalled([CHANNEL, OTHER].map((id) => h.channels.channel(id)!))).toEqual([]);
    endorser = new Endorser(
      { localDeserializer: localMsp, channel: (id) => h.channels.channel(id), isSystemChaincode: (name) => sccs.has(name), timeWindowMs: 15 * 60_000, now: () => Date.now() },
      executor,
      h.peers[0],
    );
  }, 60_000);

  afterAll(async () => {
    await runtime.close();
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function signed(chaincode: string, args: readonly string[], nonce?: Uint8Array): { bytes: Uint8Array; txId: string } {
    const built = buildProposal({ channelId: CHANNEL, chaincodeName: chaincode, args: args.map((a) => Buffer.from(a)), creator: h.users[0].serialized, nonce });
    return { bytes: signProposal(built.proposalBytes, h.users[0]), txId: built.txId };
  }

  async function propose(chaincode: string, args: readonly string[]): Promise<{ res: ParsedProposalResponse; txId: string }> {
    const { bytes, txId } = signed(chaincode, args);
    return { res: parseProposalResponse(await endorser.processProposal(bytes)), txId };
  }

  /** `st` calling `callee` on `channel`: what the client sees. */
  function viaSt(callee: string, channel: string, ...args: string[]): Promise<{ res: ParsedProposalResponse; txId: string }> {
    return propose('st', ['call', callee, channel, ...args]);
  }

  describe('system chaincodes called from chaincode answer for themselves', () => {
    it.each([
      ['qscc with a function and a channel', 'qscc', ['GetChainInfo', CHANNEL], "Rejecting invoke of QSCC from another chaincode because of potential for deadlocks, original invocation for 'st'"],
      ['qscc with fewer than two arguments', 'qscc', ['GetChainInfo'], 'Incorrect number of arguments, 1'],
      ['cscc GetChannels', 'cscc', ['GetChannels'], "Rejecting invoke of CSCC from another chaincode, original invocation for 'st'"],
      ['cscc GetConfigBlock without a channel', 'cscc', ['GetConfigBlock'], 'Incorrect number of arguments, 1'],
      ['cscc without arguments', 'cscc', [], 'Incorrect number of arguments, 0'],
    ])('%s: status 500 and its message, as a response the caller reads', async (_what, scc, args, message) => {
      const { res } = await viaSt(scc, '', ...args);
      expect(res.response).toMatchObject({ status: 500, message });
    });

    it('_lifecycle checks no caller (Fabric): a query answers with its result; installing is refused from chaincode', async () => {
      const { res } = await viaSt('_lifecycle', '', 'QueryChaincodeDefinitions', '');
      expect(res.response.status).toBe(200);
      const names = QueryChaincodeDefinitionsResult.deserializeBinary(res.response.payload)
        .getChaincodeDefinitionsList()
        .map((d) => d.getName());
      expect(names.sort()).toEqual(['solo', 'st', 'st2', 'twin']);
      const install = await viaSt('_lifecycle', '', 'InstallChaincode', '');
      expect(install.res.response.status).toBe(500);
    });

    it('on a channel this peer has not joined, the call fails with the handler error', async () => {
      const { res, txId } = await viaSt('qscc', 'nochannel', 'GetChainInfo', CHANNEL);
      expect(res.response).toMatchObject({ status: 500, message: `INVOKE_CHAINCODE failed: transaction ID: ${txId}: failed to find ledger for channel: nochannel` });
    });
  });

  describe('a chaincode calling chaincode on another channel', () => {
    it('may call itself there: the callee answers, its writes are not recorded', async () => {
      const { res } = await viaSt('st', OTHER, 'reply', '201', 'made', 'there');
      expect(res.response).toMatchObject({ status: 201, message: 'made' });
      expect(utf8.decode(res.response.payload)).toBe('there');
      expect(writtenKeys(res.payload?.action.results as Uint8Array).st ?? []).toEqual([]);
    });

    it('fails with Fabric\'s invalid invocation when the callee is not defined there', async () => {
      const { res, txId } = await viaSt('solo', OTHER, 'reply', '201', 'made', 'there');
      expect(res.response).toMatchObject({
        status: 500,
        message: `INVOKE_CHAINCODE failed: transaction ID: ${txId}: execute failed: invalid invocation: [channel ${OTHER}] failed to get chaincode container info for solo: chaincode solo not found`,
      });
    });

    it('fails with the ACL check\'s error when this peer has not joined it', async () => {
      const { res, txId } = await viaSt('st', 'nochannel', 'reply', '201', 'made', 'there');
      expect(res.response).toMatchObject({ status: 500, message: `INVOKE_CHAINCODE failed: transaction ID: ${txId}: Failed to get policy manager for channel [nochannel]` });
    });
  });

  describe('one transaction context per chaincode, channel and transaction ID', () => {
    it.each([
      ['itself on the same channel', ['call', 'st', '']],
      ['another name for its own package', ['call', 'twin', '']],
      ['itself through another chaincode', ['call', 'st2', '', 'call', 'st', '']],
      ['itself back on its channel from another channel', ['call', 'st', OTHER, 'call', 'st', CHANNEL]],
    ])('a chaincode calling %s fails with "txid exists"', async (_what, call) => {
      const { res, txId } = await propose('st', [...call, 'reply', '201', 'made', 'there']);
      expect(res.response).toMatchObject({
        status: 500,
        message: `INVOKE_CHAINCODE failed: transaction ID: ${txId}: execute failed: error sending: txid: ${txId}(${CHANNEL}) exists`,
      });
    });

    it.each([
      ['user chaincode', 'st', ['reply', '201', 'made', 'there'], 201],
      ['a system chaincode', 'qscc', ['GetChainInfo', CHANNEL], 200],
    ])('refuses a second proposal with the same txid while the first runs, and takes it once the first is done (%s)', async (_what, chaincode, args, status) => {
      const { bytes, txId } = signed(chaincode, args);
      const [first, second] = (await Promise.all([endorser.processProposal(bytes), endorser.processProposal(bytes)])).map((b) => parseProposalResponse(b));
      expect(first.response.status).toBe(status);
      expect(first.endorsement).toBeDefined();
      expect(second.response).toMatchObject({ status: 500, message: `error in simulation: failed to execute transaction ${txId}: error sending: txid: ${txId}(${CHANNEL}) exists` });
      expect(second.endorsement).toBeUndefined();
      const again = parseProposalResponse(await endorser.processProposal(bytes));
      expect(again.response.status).toBe(status);
      expect(again.endorsement).toBeDefined();
    });

    it('runs the same txid in two chaincodes at once (each has its own contexts)', async () => {
      const nonce = new Uint8Array(24).fill(7);
      const a = signed('st', ['reply', '201', 'made', 'there'], nonce);
      const b = signed('st2', ['reply', '202', 'also', 'here'], nonce);
      expect(a.txId).toBe(b.txId);
      const [ra, rb] = (await Promise.all([endorser.processProposal(a.bytes), endorser.processProposal(b.bytes)])).map((b) => parseProposalResponse(b));
      expect([ra.response.status, rb.response.status]).toEqual([201, 202]);
    });
  });
});
