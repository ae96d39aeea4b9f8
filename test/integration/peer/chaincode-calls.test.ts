import type * as grpc from '@grpc/grpc-js';
import { type Gateway, GatewayError, type Proposal as GatewayProposal } from '@hyperledger/fabric-gateway';
import { ChannelHeader, Header } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ProposedTransaction } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { Proposal, SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ProcessedTransaction, TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import { loadNodeConfig } from '../../../core/node/config';
import { INITIALIZED_KEY } from '../../../core/peer/endorser/init-required';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { rwsetWrites } from '../../../core/peer/validation/rwset-writes';
import { buildProposal } from '../../../core/protocol/proposal';
import type { Signer } from '../../../core/protocol/signer';
import { parseTransactionEnvelope } from '../../../core/protocol/transaction';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CALLS_DIR, CHANNEL, approve, commitDefinition, eventually, gatewayFor, install, signerOf, type Material } from './network-fixture';

const utf8 = new TextDecoder();
const OTHER_CHANNEL = 'otherchannel';

/**
 * A proposal built here rather than by the Gateway client, which cannot set `is_init` or
 * sub-millisecond timestamps; the client's Gateway then endorses, submits or evaluates it as usual.
 */
function ownProposal(gateway: Gateway, signer: Signer, chaincode: string, args: readonly string[], o: { isInit?: boolean; nanos?: number } = {}): GatewayProposal {
  const built = buildProposal({ channelId: CHANNEL, chaincodeName: chaincode, args: args.map((a) => Buffer.from(a)), creator: signer.serialized, isInit: o.isInit });
  let proposalBytes = built.proposalBytes;
  if (o.nanos !== undefined) {
    const proposal = Proposal.deserializeBinary(proposalBytes);
    const header = Header.deserializeBinary(proposal.getHeader_asU8());
    const chdr = ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    const ts = new Timestamp();
    ts.setSeconds(Math.floor(Date.now() / 1000));
    ts.setNanos(o.nanos);
    chdr.setTimestamp(ts);
    header.setChannelHeader(chdr.serializeBinary());
    proposal.setHeader(header.serializeBinary());
    proposalBytes = proposal.serializeBinary();
  }
  const signed = new SignedProposal();
  signed.setProposalBytes(proposalBytes);
  const proposed = new ProposedTransaction();
  proposed.setTransactionId(built.txId);
  proposed.setProposal(signed);
  return gateway.newSignedProposal(proposed.serializeBinary(), signer.sign(proposalBytes));
}

async function detailsOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return (err as GatewayError).details.map((d) => d.message).join(' | ');
}

describe('chaincode calls, transaction timestamps and init_required through a 2-org network', () => {
  let net: InProcessNetwork;
  let m: Material;
  let peers: PeerNode[];
  let peerConfigFiles: string[];
  let clients: grpc.Client[];
  let gateways: Gateway[];
  let user: Gateway;
  let org2User: Gateway;
  let userSigner: Signer;

  beforeAll(async () => {
    net = await startInProcessNetwork({
      prefix: 'weft-peer-calls-',
      // On the other channel only Org2 members may call chaincode from chaincode.
      extraChannels: [{ channelId: OTHER_CHANNEL, aclOverrides: { 'peer/ChaincodeToChaincode': '/Channel/Application/Org2MSP/Readers' } }],
    });
    ({ m, peers, clients, gateways } = net);
    const ports = net.ports;
    peerConfigFiles = net.peerFiles.map((f) => f.configFile);
    const admins = [gatewayFor(m.orgs[0], clients[0], 'Admin'), gatewayFor(m.orgs[1], clients[1], 'Admin')];
    user = gatewayFor(m.orgs[0], clients[0]);
    userSigner = signerOf(m.orgs[0]);
    org2User = gatewayFor(m.orgs[1], clients[1]);
    gateways.push(...admins, user, org2User);
    // Three definitions of the same code; distinct labels make distinct packages (one sandbox each).
    const defs = [
      { name: 'cca', initRequired: false },
      { name: 'ccb', initRequired: false },
      { name: 'cci', initRequired: true },
    ];
    for (const def of defs) {
      const built = await packageChaincode({ projectDir: CALLS_DIR, label: `${def.name}_1` });
      for (const i of [0, 1] as const) await install(m.orgs[i], ports[i], built.packageBytes);
      await Promise.all(admins.map((a) => approve(a, def.name, 1, built.packageId, def.initRequired)));
      await peersInSync(net.peers);
      await commitDefinition(admins[0], def.name, 1, def.initRequired);
      await peersInSync(net.peers);
      if (def.name === 'ccb') {
        await Promise.all(admins.map((a) => approve(a, def.name, 1, built.packageId, false, OTHER_CHANNEL)));
        await peersInSync(net.peers, OTHER_CHANNEL);
        await commitDefinition(admins[0], def.name, 1, false, OTHER_CHANNEL);
        await peersInSync(net.peers, OTHER_CHANNEL);
      }
    }
  }, 180_000);

  afterAll(() => net?.close());

  it('a chaincode invoking another on the channel commits both namespaces in one transaction', async () => {
    const network = user.getNetwork(CHANNEL);
    const submitted = await network.getContract('cca').submitAsync('PutVia', { arguments: ['ccb', 'k1', 'v1'] });
    expect(utf8.decode(submitted.getResult())).toBe('v1');
    const status = await submitted.getStatus();
    expect(status.code).toBe(TxValidationCode.VALID);

    const processed = ProcessedTransaction.deserializeBinary(
      await network.getContract('qscc').evaluateTransaction('GetTransactionByID', CHANNEL, submitted.getTransactionId()),
    );
    const tx = parseTransactionEnvelope(processed.getTransactionenvelope()?.serializeBinary() as Uint8Array);
    const writes = rwsetWrites(tx.action.proposalResponsePayload.action.results);
    expect(writes.map((w) => [w.namespace, w.keys])).toEqual([
      ['cca', ['via/k1']],
      ['ccb', ['k1']],
    ]);

    expect(utf8.decode(await network.getContract('ccb').evaluateTransaction('Get', 'k1'))).toBe('v1');
    expect(utf8.decode(await network.getContract('cca').evaluateTransaction('Get', 'via/k1'))).toBe('v1');
    // Reads go through the callee too, and the other org's peer committed the same state.
    expect(utf8.decode(await network.getContract('cca').evaluateTransaction('GetVia', 'ccb', 'k1'))).toBe('v1');
    await eventually(() => expect(peers[1].height(CHANNEL)).toBe(peers[0].height(CHANNEL)));
    expect(utf8.decode(await org2User.getNetwork(CHANNEL).getContract('ccb').evaluateTransaction('Get', 'k1'))).toBe('v1');
  }, 60_000);

  it('runs a callee on another channel as a query (ACL peer/ChaincodeToChaincode there): its answer returns, its writes are dropped', async () => {
    expect(await detailsOf(user.getNetwork(CHANNEL).getContract('cca').evaluateTransaction('PutViaChannel', 'ccb', OTHER_CHANNEL, 'k2', 'v2'))).toMatch(
      /access denied for \[peer\/ChaincodeToChaincode\].*Org2MSP\/Readers/,
    );
    const network = org2User.getNetwork(CHANNEL);
    const submitted = await network.getContract('cca').submitAsync('PutViaChannel', { arguments: ['ccb', OTHER_CHANNEL, 'k2', 'v2'] });
    expect(utf8.decode(submitted.getResult())).toBe('v2');
    expect((await submitted.getStatus()).code).toBe(TxValidationCode.VALID);
    const processed = ProcessedTransaction.deserializeBinary(
      await network.getContract('qscc').evaluateTransaction('GetTransactionByID', CHANNEL, submitted.getTransactionId()),
    );
    const tx = parseTransactionEnvelope(processed.getTransactionenvelope()?.serializeBinary() as Uint8Array);
    expect(rwsetWrites(tx.action.proposalResponsePayload.action.results).map((w) => [w.namespace, w.keys])).toEqual([['cca', ['via/k2']]]);
    expect(await detailsOf(user.getNetwork(OTHER_CHANNEL).getContract('ccb').evaluateTransaction('Get', 'k2'))).toMatch(/key k2 does not exist/);
    expect(await detailsOf(network.getContract('ccb').evaluateTransaction('Get', 'k2'))).toMatch(/key k2 does not exist/);

    // A chaincode may call itself there (the same package, now running two transactions).
    const self = await network.getContract('ccb').submitAsync('PutViaChannel', { arguments: ['ccb', OTHER_CHANNEL, 'k3', 'v3'] });
    expect(utf8.decode(self.getResult())).toBe('v3');
    expect((await self.getStatus()).code).toBe(TxValidationCode.VALID);
    expect(utf8.decode(await network.getContract('ccb').evaluateTransaction('Get', 'via/k3'))).toBe('v3');
    expect(await detailsOf(org2User.getNetwork(OTHER_CHANNEL).getContract('ccb').evaluateTransaction('Get', 'k3'))).toMatch(/key k3 does not exist/);
  }, 60_000);

  it('fails a call to a chaincode that is not defined, or on a channel not joined, with the reason; a system chaincode answers for itself', async () => {
    const cca = user.getNetwork(CHANNEL).getContract('cca');
    expect(await detailsOf(cca.evaluateTransaction('PutVia', 'nothing', 'k', 'v'))).toMatch(
      /INVOKE_CHAINCODE failed: transaction ID: \w+: execute failed: invalid invocation: \[channel mychannel\] failed to get chaincode container info for nothing: chaincode nothing not found/,
    );
    expect(await detailsOf(cca.evaluateTransaction('PutVia', 'qscc', 'k', 'v'))).toMatch(
      /qscc answered 500: Rejecting invoke of QSCC from another chaincode because of potential for deadlocks, original invocation for 'cca'/,
    );
    expect(await detailsOf(cca.evaluateTransaction('PutViaChannel', 'ccb', 'nochannel', 'k', 'v'))).toMatch(/Failed to get policy manager for channel \[nochannel\]/);
    const org2Cca = org2User.getNetwork(CHANNEL).getContract('cca');
    expect(await detailsOf(org2Cca.evaluateTransaction('PutViaChannel', 'cca', OTHER_CHANNEL, 'k', 'v'))).toMatch(/chaincode cca not found/);
  }, 60_000);

  it('gives chaincode the exact seconds and nanos of the proposal header', async () => {
    const answer = await ownProposal(user, userSigner, 'cca', ['Timestamp'], { nanos: 123_456_789 }).evaluate();
    const ts = JSON.parse(utf8.decode(answer)) as { seconds: string; nanos: number };
    expect(ts.nanos).toBe(123_456_789);
    expect(Math.abs(Number(ts.seconds) - Date.now() / 1000)).toBeLessThan(600);
  }, 60_000);

  it('enforces init_required: nothing before Init, Init exactly once, is_init only where required', async () => {
    const cci = user.getNetwork(CHANNEL).getContract('cci');
    const notYet = /chaincode 'cci' has not been initialized for this version, must call as init first/;
    expect(await detailsOf(cci.evaluateTransaction('Get', 'init'))).toMatch(notYet);
    expect(await detailsOf(cci.submitTransaction('Put', 'k', 'v'))).toMatch(notYet);
    // A chaincode-to-chaincode call is an ordinary invocation: it needs the callee initialized too.
    expect(await detailsOf(user.getNetwork(CHANNEL).getContract('cca').evaluateTransaction('PutVia', 'cci', 'k', 'v'))).toMatch(notYet);

    const init = await ownProposal(user, userSigner, 'cci', ['InitLedger', 'ready'], { isInit: true })
      .endorse()
      .catch((e: GatewayError) => {
        throw new Error(e.details.map((d) => d.message).join(' | '));
      });
    const commit = await init.submit();
    expect(utf8.decode(commit.getResult())).toBe('ready');
    expect((await commit.getStatus()).code).toBe(TxValidationCode.VALID);

    expect(utf8.decode(await cci.evaluateTransaction('Get', 'init'))).toBe('ready');
    expect(utf8.decode(await cci.evaluateTransaction('Get', INITIALIZED_KEY))).toBe('1.0');
    expect(await detailsOf(ownProposal(user, userSigner, 'cci', ['InitLedger', 'again'], { isInit: true }).endorse())).toMatch(
      /chaincode 'cci' is already initialized but called as init/,
    );
    expect(utf8.decode(await cci.submitTransaction('Put', 'k', 'v'))).toBe('v');
    expect(await detailsOf(ownProposal(user, userSigner, 'cca', ['InitLedger', 'x'], { isInit: true }).endorse())).toMatch(
      /chaincode 'cca' does not require initialization but called as init/,
    );
  }, 60_000);

  it('after a restart, a chaincode called only from chaincode answers on the first call (installed packages are preloaded)', async () => {
    await peers[0].stop();
    peers[0] = new PeerNode(parsePeerConfig(loadNodeConfig(peerConfigFiles[0])));
    await peers[0].start();
    // ccb has not been invoked directly since the restart: the call reaches it only through cca.
    expect(utf8.decode(await user.getNetwork(CHANNEL).getContract('cca').evaluateTransaction('GetVia', 'ccb', 'k1'))).toBe('v1');
  }, 60_000);
});
