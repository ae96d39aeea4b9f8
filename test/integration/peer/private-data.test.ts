import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import Sqlite from 'better-sqlite3';
import type { Contract } from '@hyperledger/fabric-gateway';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import type { Signer } from '../../../core/protocol/signer';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { seekEnvelope } from '../orderer/orderer-fixture';
import { sha256 } from '../../../core/ledger/private-data';
import { collectionPackage } from '../../support/lifecycle-collections';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, failureOf, PRIVATE_DIR, gatewayFor, rawEndorser, signerOf } from './network-fixture';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { sample } from '../../support/prometheus-text';

const utf8 = new TextDecoder();
/**
 * Both orgs hold `shared`; only Org1 holds `org1only`. All are read only by clients of member orgs.
 * `adminsign` has its own endorsement policy, which no peer satisfies.
 */
const COLLECTIONS = collectionPackage(
  { name: 'shared' },
  { name: 'org1only', policy: "OR('Org1MSP.member')" },
  { name: 'adminsign', endorsement: "OR('Org1MSP.admin')" },
  { name: 'peersonly', policy: "OR('Org1MSP.peer', 'Org2MSP.peer')" },
  { name: 'needstwo', requiredPeerCount: 2, maximumPeerCount: 2 },
  { name: 'needsone', requiredPeerCount: 1, maximumPeerCount: 1 },
);

/** A peer's Prometheus samples, read from its operations endpoint. */
async function peerMetrics(net: InProcessNetwork, peer: number): Promise<(name: string, labels?: Record<string, string>) => number> {
  const text = await (await fetch(`http://${net.peers[peer].operationsAddress() as string}/metrics`)).text();
  return (name, labels) => sample(text, name, labels);
}

/** The collections `DeliverWithPrivateData` sends `signer` with block `blockNum`, as `<tx>:<chaincode>/<collection>`. */
function deliveredCollections(client: grpc.Client, signer: Signer, blockNum: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest('/protos.Deliver/DeliverWithPrivateData', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => DeliverResponse.deserializeBinary(b));
    const seen: string[] = [];
    call.on('data', (r: DeliverResponse) => {
      const bpd = r.getBlockAndPrivateData();
      if (bpd === undefined) {
        call.end();
        resolve(seen);
        return;
      }
      bpd.getPrivateDataMapMap().forEach((set, txNum) => {
        for (const ns of set.getNsPvtRwsetList()) for (const c of ns.getCollectionPvtRwsetList()) seen.push(`${txNum}:${ns.getNamespace()}/${c.getCollectionName()}`);
      });
    });
    call.on('error', reject);
    call.write(seekEnvelope(signer, CHANNEL, blockNum, blockNum));
  });
}

describe('private data collections through a 2-org network and the Fabric Gateway client', () => {
  let net: InProcessNetwork;
  /** Org1's and Org2's users, each on its own org's peer. */
  let org1: Contract;
  let org2: Contract;
  /** Org1's user on Org2's peer, which does not hold `org1only`. */
  let org1OnPeer2: Contract;

  const put = (contract: Contract, collection: string, key: string, value: string): Promise<Uint8Array> =>
    contract.submit('Put', { arguments: [collection, key], transientData: { value: Buffer.from(value) } });
  /** A put the client has both orgs endorse, trusting Org2 with the transient data whether or not it holds the collection. */
  const putByBoth = (contract: Contract, collection: string, key: string, value: string): Promise<Uint8Array> =>
    contract.submit('Put', { arguments: [collection, key], transientData: { value: Buffer.from(value) }, endorsingOrganizations: ['Org1MSP', 'Org2MSP'] });
  const get = async (contract: Contract, collection: string, key: string): Promise<string> => utf8.decode(await contract.evaluateTransaction('Get', collection, key));

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-pvt-' });
    await deployChaincodeInProcess(net, { projectDir: PRIVATE_DIR, label: 'private_1', name: 'private', collections: COLLECTIONS });
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    org2 = gatewayOn(net, 1).getNetwork(CHANNEL).getContract('private');
    org1OnPeer2 = gatewayOn(net, 0, 1).getNetwork(CHANNEL).getContract('private');
  }, 120_000);

  afterAll(() => net?.close());

  it('stores a private value on every member peer and puts only its hash in the block', async () => {
    await put(org1, 'shared', 'asset1', 'secret-one');
    await peersInSync(net.peers);
    expect(await get(org1, 'shared', 'asset1')).toBe('secret-one');
    expect(await get(org2, 'shared', 'asset1')).toBe('secret-one');
    expect(utf8.decode(await org2.evaluateTransaction('Hash', 'shared', 'asset1'))).toBe(Buffer.from(sha256('secret-one')).toString('hex'));

    const qscc = gatewayFor(net.m.orgs[0], net.clients[0]).getNetwork(CHANNEL).getContract('qscc');
    const height = net.peers[0].height(CHANNEL);
    const block = Buffer.from(await qscc.evaluateTransaction('GetBlockByNumber', CHANNEL, String(height - 1)));
    expect(block.includes(Buffer.from(sha256('secret-one')))).toBe(true);
    expect(block.includes(Buffer.from('secret-one'))).toBe(false);
  });

  it('keeps transient data for a collection among its members unless the client names the endorsing orgs', async () => {
    // Only Org1 holds org1only, and the chaincode's MAJORITY needs Org2 too: as Fabric's Gateway, refuse
    // before the transient data reaches Org2's peer.
    const received = async (): Promise<number> => (await peerMetrics(net, 1))('endorser_proposals_received');
    const before = await received();
    const refused = await failureOf(put(org1, 'org1only', 'terms', 'org1-terms'));
    expect(refused).toContain(
      'requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [org1only]; retry specifying trusted endorsing organizations to protect transient data',
    );
    expect(await received()).toBe(before);
    // A collection both orgs hold is endorsed by both, transient data and all.
    await put(org1, 'shared', 'both', 'for-both');
    expect(await received()).toBe(before + 1);
    // A client that trusts Org2 with the data names the orgs itself, as Fabric's private data sample does.
    await putByBoth(org1, 'org1only', 'terms', 'org1-terms');
    expect(await received()).toBe(before + 2);
    await peersInSync(net.peers);
  });

  it('asks only collection members to endorse a transaction that read a private value; hash reads need no membership', async () => {
    const received = async (): Promise<number> => (await peerMetrics(net, 1))('endorser_proposals_received');
    const before = await received();
    // Bump reads org1only's value: Org2's peer does not hold it, so it is not asked, and MAJORITY cannot be met.
    expect(await failureOf(org1.submitTransaction('Bump', 'org1only', 'n'))).toContain('failed to collect enough transaction endorsements');
    expect(await received()).toBe(before);
    // A hash read is not a private read: Org2's peer holds the hash and endorses.
    expect(utf8.decode(await org1.submitTransaction('Hash', 'org1only', 'terms'))).toBe(Buffer.from(sha256('org1-terms')).toString('hex'));
    expect(await received()).toBe(before + 1);
    // Hash reads alone write nothing, so the chaincode's policy applies (Fabric's FAB-9473): one org's endorsement is not enough.
    const alone = await org1.newProposal('Hash', { arguments: ['org1only', 'terms'], endorsingOrganizations: ['Org1MSP'] }).endorse();
    expect(await (await alone.submit()).getStatus()).toMatchObject({ successful: false, code: 10 }); // ENDORSEMENT_POLICY_FAILURE

    // The endorser's ChaincodeInterest says so on the wire (ProposalResponse.interest).
    const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    try {
      const client = signerOf(net.m.orgs[0]);
      const interestOf = async (fn: string, collection: string): Promise<unknown> => {
        const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'private', args: [fn, collection, 'terms'].map((a) => Buffer.from(a)), creator: client.serialized });
        const response = parseProposalResponse(await endorser.processProposal(signProposal(built.proposalBytes, client), Date.now() + 30_000));
        return response.interest?.chaincodes.map((c) => ({ name: c.name, collections: c.collections, noPrivateReads: c.noPrivateReads }));
      };
      expect(await interestOf('Bump', 'org1only')).toEqual([
        { name: 'private', collections: ['org1only'], noPrivateReads: false },
      ]);
      expect(await interestOf('Hash', 'org1only')).toEqual([{ name: 'private', collections: [], noPrivateReads: false }]);
    } finally {
      endorser.close();
    }
  });

  it('keeps an org’s collection on its own peers: others hold the hash, and non-members may not read it', async () => {
    await putByBoth(org1, 'org1only', 'deal', 'org1-terms');
    await peersInSync(net.peers);
    expect(await get(org1, 'org1only', 'deal')).toBe('org1-terms');
    expect(await failureOf(get(org2, 'org1only', 'deal'))).toContain('tx creator does not have read access permission on privatedata in chaincodeName:private collectionName: org1only');
    // Org2's peer committed the transaction but never stored the value, and says so.
    expect(utf8.decode(await org1OnPeer2.evaluateTransaction('Hash', 'org1only', 'deal'))).toBe(Buffer.from(sha256('org1-terms')).toString('hex'));
    expect(await failureOf(get(org1OnPeer2, 'org1only', 'deal'))).toContain('private data matching public hash version is not available');

    // DeliverWithPrivateData sends the values only to members of the collection, and only from a peer that holds them.
    const blockNum = net.peers[0].height(CHANNEL) - 1;
    expect(await deliveredCollections(net.clients[0], signerOf(net.m.orgs[0]), blockNum)).toEqual(['0:private/org1only']);
    expect(await deliveredCollections(net.clients[0], signerOf(net.m.orgs[1]), blockNum)).toEqual([]);
    expect(await deliveredCollections(net.clients[1], signerOf(net.m.orgs[0]), blockNum)).toEqual([]);
  });

  it('purges a key from state and from the private data every peer kept with earlier blocks', async () => {
    await put(org1, 'shared', 'forget-me', 'personal');
    await peersInSync(net.peers);
    const written = net.peers[0].height(CHANNEL) - 1;
    for (const client of [0, 1] as const) {
      expect(await deliveredCollections(net.clients[client], signerOf(net.m.orgs[client]), written)).toEqual(['0:private/shared']);
    }
    await org1.submitTransaction('Purge', 'shared', 'forget-me');
    await peersInSync(net.peers);
    expect(await failureOf(get(org2, 'shared', 'forget-me'))).toContain('shared/forget-me does not exist');
    expect(utf8.decode(await org1.evaluateTransaction('Hash', 'shared', 'forget-me'))).toBe('');
    for (const client of [0, 1] as const) {
      expect(await deliveredCollections(net.clients[client], signerOf(net.m.orgs[client]), written)).toEqual([]);
    }
  });

  it('keeps what a peer endorsed through its restart before the transaction commits', async () => {
    const endorsed = await org1.newProposal('Put', { arguments: ['shared', 'restart-safe'], transientData: { value: Buffer.from('durable') } }).endorse();
    // Org2's peer endorsed too, and holds the values only in its transient store: restart it before the transaction is ordered.
    await net.peers[1].stop();
    net.peers[1] = new PeerNode(parsePeerConfig(loadNodeConfig(net.peerFiles[1].configFile)));
    await net.peers[1].start();
    expect((await (await endorsed.submit()).getStatus()).successful).toBe(true);
    await peersInSync(net.peers);
    expect(await get(org2, 'shared', 'restart-safe')).toBe('durable');
    await org1.submitTransaction('Delete', 'shared', 'restart-safe');
    await peersInSync(net.peers);
  });

  it('judges membership by the member orgs policy, roles included: a peers-only collection is not read by clients', async () => {
    await put(org1, 'peersonly', 'p', 'for-peers');
    await peersInSync(net.peers);
    expect(await failureOf(get(org1, 'peersonly', 'p'))).toContain('tx creator does not have read access permission on privatedata in chaincodeName:private collectionName: peersonly');
    const blockNum = net.peers[0].height(CHANNEL) - 1;
    expect(await deliveredCollections(net.clients[0], signerOf(net.m.orgs[0]), blockNum)).toEqual([]);
    const peerIdentity = loadSigningIdentity(net.m.orgs[0].nodes.peer0.mspDir, net.m.orgs[0].mspId);
    expect(await deliveredCollections(net.clients[0], peerIdentity, blockNum)).toEqual(['0:private/peersonly']);
  });

  it('validates writes to a collection against its own endorsement policy instead of the chaincode’s', async () => {
    // Both peers endorse (the chaincode's MAJORITY), but the write's policy is the collection's, which wants an admin:
    // the Gateway checks the endorsements against it, as the committers would, and submits nothing.
    const endorsing = org1.newProposal('Put', { arguments: ['adminsign', 'k'], transientData: { value: Buffer.from('v') } }).endorse();
    expect(await failureOf(endorsing)).toContain("endorsement policy of collection adminsign of chaincode private: signature set did not satisfy policy OR('Org1MSP.admin')");
    expect(await failureOf(get(org1, 'adminsign', 'k'))).toContain('adminsign/k does not exist');
  });

  it('fails an endorsement whose collection needs more member peers than the endorser can reach, as Fabric', async () => {
    // Org1's peer knows one other member peer (Org2's): a collection that must reach two cannot be endorsed.
    const failure = await failureOf(put(org1, 'needstwo', 'k', 'v'));
    expect(failure).toMatch(
      /failed to distribute private collection, txID [0-9a-f]{64}, channel mychannel: required to disseminate to at least 2 peers, but know of only 1 eligible peers/,
    );
    // As Fabric, what was not disseminated is not kept either (it would wait out retention for nothing).
    const txId = /txID ([0-9a-f]{64})/.exec(failure)?.[1] as string;
    const transient = new Sqlite(path.join(net.peerFiles[0].dataDir, 'transient', `${CHANNEL}.sqlite`), { readonly: true });
    try {
      expect(transient.prepare('SELECT COUNT(*) FROM transient WHERE txid = ?').pluck().get(txId)).toBe(0);
    } finally {
      transient.close();
    }
    // One required peer is reachable, and acknowledges before the endorsement is returned.
    const sends = async (): Promise<number> => (await peerMetrics(net, 0))('gossip_privdata_send_duration_count', { channel: CHANNEL });
    const sent = await sends();
    await put(org1, 'needsone', 'k', 'v');
    // Fabric's distributor times each dissemination: Org1's peer pushed to Org2's.
    expect(await sends()).toBe(sent + 1);
    await peersInSync(net.peers);
    expect(await get(org2, 'needsone', 'k')).toBe('v');
  });

  it('refuses a collection the chaincode did not define', async () => {
    expect(await failureOf(put(org1, 'nosuch', 'k', 'v'))).toContain('collection nosuch is not defined for chaincode private');
  });

  it('lists, deletes and conflict-checks private keys', async () => {
    await put(org1, 'shared', 'asset2', 'two');
    await peersInSync(net.peers);
    expect(JSON.parse(utf8.decode(await org2.evaluateTransaction('Keys', 'shared')))).toEqual(['asset1', 'asset2', 'both']);
    await org1.submitTransaction('Delete', 'shared', 'asset2');
    await peersInSync(net.peers);
    expect(JSON.parse(utf8.decode(await org1.evaluateTransaction('Keys', 'shared')))).toEqual(['asset1', 'both']);
    expect(await failureOf(get(org2, 'shared', 'asset2'))).toContain('shared/asset2 does not exist');

    // Two read-modify-writes of one private key endorsed on the same state: the second fails MVCC at commit.
    const first = await org1.newProposal('Bump', { arguments: ['shared', 'counter'] }).endorse();
    const second = await org1.newProposal('Bump', { arguments: ['shared', 'counter'] }).endorse();
    expect((await (await first.submit()).getStatus()).successful).toBe(true);
    const status = await (await second.submit()).getStatus();
    expect(status.successful).toBe(false);
    expect(status.code).toBe(11); // MVCC_READ_CONFLICT
    await peersInSync(net.peers);
    expect(await get(org2, 'shared', 'counter')).toBe('1');
  });
});
