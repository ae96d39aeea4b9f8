import { GatewayError } from '@hyperledger/fabric-gateway';
import { ProposedTransaction } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { labelSets, sample } from '../../support/prometheus-text';
import { type InProcessNetwork, deployKvInProcess, startInProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, gatewayFor, rawEndorser, signerOf } from './network-fixture';

/**
 * The message of a refused proposal: the peer-to-peer endorsement stream answers a refusal with a
 * status-500 response where `protos.Endorser` would fail the call.
 */
async function refusal(answer: Promise<Uint8Array>): Promise<string> {
  const response = parseProposalResponse(await answer).response;
  expect(response.status).toBe(500);
  return response.message;
}

/**
 * Fabric's metric types (`docs/source/metrics_reference.rst`) of the peer components Weft has: a
 * Weft peer exports each of them from its start, labelled series or not.
 */
const PEER_METRIC_TYPES = {
  chaincode_execute_timeouts: 'counter',
  chaincode_launch_duration: 'histogram',
  chaincode_launch_failures: 'counter',
  chaincode_launch_timeouts: 'counter',
  chaincode_shim_request_duration: 'histogram',
  chaincode_shim_requests_completed: 'counter',
  chaincode_shim_requests_received: 'counter',
  deliver_blocks_sent: 'counter',
  deliver_requests_completed: 'counter',
  deliver_requests_received: 'counter',
  deliver_streams_closed: 'counter',
  deliver_streams_opened: 'counter',
  endorser_duplicate_transaction_failures: 'counter',
  endorser_endorsement_failures: 'counter',
  endorser_proposal_acl_failures: 'counter',
  endorser_proposal_duration: 'histogram',
  endorser_proposal_simulation_failures: 'counter',
  endorser_proposal_validation_failures: 'counter',
  endorser_proposals_received: 'counter',
  endorser_successful_proposals: 'counter',
  fabric_version: 'gauge',
  gossip_privdata_commit_block_duration: 'histogram',
  gossip_privdata_fetch_duration: 'histogram',
  gossip_privdata_list_missing_duration: 'histogram',
  gossip_privdata_pull_duration: 'histogram',
  gossip_privdata_purge_duration: 'histogram',
  gossip_privdata_reconciliation_duration: 'histogram',
  gossip_privdata_send_duration: 'histogram',
  gossip_privdata_validation_duration: 'histogram',
  gossip_state_commit_duration: 'histogram',
  gossip_state_height: 'gauge',
  grpc_comm_conn_closed: 'counter',
  grpc_comm_conn_opened: 'counter',
  grpc_server_stream_messages_received: 'counter',
  grpc_server_stream_messages_sent: 'counter',
  grpc_server_stream_request_duration: 'histogram',
  grpc_server_stream_requests_completed: 'counter',
  grpc_server_stream_requests_received: 'counter',
  grpc_server_unary_request_duration: 'histogram',
  grpc_server_unary_requests_completed: 'counter',
  grpc_server_unary_requests_received: 'counter',
  ledger_block_processing_time: 'histogram',
  ledger_blockchain_height: 'gauge',
  ledger_blockstorage_and_pvtdata_commit_time: 'histogram',
  ledger_blockstorage_commit_time: 'histogram',
  ledger_statedb_commit_time: 'histogram',
  ledger_transaction_count: 'counter',
  logging_entries_checked: 'counter',
  logging_entries_written: 'counter',
} as const;

/** The endorser's Fabric metrics of one peer, read from its operations endpoint. */
async function endorserMetrics(net: InProcessNetwork, peer: number): Promise<(name: string, labels?: Record<string, string>) => number> {
  const text = await (await fetch(`http://${net.peers[peer].operationsAddress() as string}/metrics`)).text();
  return (name, labels) => sample(text, name, labels);
}

describe("a peer's endorser metrics count as Fabric's endorser does (in-process 2-org network, TLS)", () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-endorser-metrics-' });
    await deployKvInProcess(net);
  }, 120_000);

  afterAll(() => net?.close());

  it('counts successes, chaincode errors, chaincodes not defined and each refused check, with durations for what passed the checks', async () => {
    const { m, ports, clients } = net;
    const user = gatewayFor(m.orgs[0], clients[0]);
    net.gateways.push(user);
    const contract = user.getNetwork(CHANNEL).getContract('kv');
    const kv = { channel: CHANNEL, chaincode: 'kv' };
    const before = await endorserMetrics(net, 0);
    const otherBefore = await endorserMetrics(net, 1);

    // One submit (endorsed here and on the other org's peer) and one evaluate: two successes.
    const proposal = contract.newProposal('Put', { arguments: ['metered', '1'] });
    const submitted = await (await proposal.endorse()).submit();
    expect((await submitted.getStatus()).successful).toBe(true);
    await contract.evaluateTransaction('Get', 'metered');
    // A chaincode error (fabric-contract-api answers a thrown error with status 500).
    await expect(contract.evaluateTransaction('Fail', 'no')).rejects.toBeInstanceOf(GatewayError);
    // A chaincode this channel does not define: the Gateway, as Fabric's, asks no endorser about it.
    await expect(user.getNetwork(CHANNEL).getContract('nothing').evaluateTransaction('Get', 'x')).rejects.toMatchObject({ code: 9 });

    const endorser = rawEndorser(m.orgs[0], ports[0]);
    try {
      // Asked directly, the endorser's simulation of an undefined chaincode fails.
      const user1 = signerOf(m.orgs[0]);
      const nothing = buildProposal({ channelId: CHANNEL, chaincodeName: 'nothing', args: [Buffer.from('Get'), Buffer.from('x')], creator: user1.serialized });
      expect(await refusal(endorser.processProposal(signProposal(nothing.proposalBytes, user1), Date.now() + 30_000))).toMatch(/chaincode nothing not found/);
      // The committed proposal again: a duplicate transaction id.
      const replayed = ProposedTransaction.deserializeBinary(proposal.getBytes()).getProposal()?.serializeBinary() as Uint8Array;
      expect(await refusal(endorser.processProposal(replayed, Date.now() + 30_000))).toMatch(/duplicate transaction found/);
      // A signature that does not verify: initial validation fails.
      const forger: Signer = { serialized: user1.serialized, sign: (msg) => signerOf(m.orgs[1]).sign(msg) };
      const forged = buildProposal({ channelId: CHANNEL, chaincodeName: 'kv', args: [Buffer.from('Get'), Buffer.from('metered')], creator: forger.serialized });
      expect(await refusal(endorser.processProposal(signProposal(forged.proposalBytes, forger), Date.now() + 30_000))).toMatch(/signature is invalid/);
      // A peer identity is a member of its org but not one of the channel's Writers: the ACL refuses it.
      const peerIdentity = new X509MspProvider().loadSigningIdentity(m.orgs[0].nodes.peer0.mspDir, m.orgs[0].mspId);
      const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'kv', args: [Buffer.from('Get'), Buffer.from('metered')], creator: peerIdentity.serialized });
      expect(await refusal(endorser.processProposal(signProposal(built.proposalBytes, peerIdentity), Date.now() + 30_000))).toMatch(/access denied for \[kv\]/);
    } finally {
      endorser.close();
    }

    const after = await endorserMetrics(net, 0);
    const delta = (name: string, labels?: Record<string, string>): number => after(name, labels) - before(name, labels);
    expect(delta('endorser_proposals_received')).toBe(7);
    expect(delta('endorser_successful_proposals')).toBe(2);
    expect(delta('endorser_proposal_duration_count', { ...kv, success: 'true' })).toBe(2);
    // A chaincode's status 500 is in no failure counter (Fabric's endorser counts 400 to 499 only),
    // and a chaincode not defined is found before simulating: each is an unsuccessful duration alone.
    expect(delta('endorser_endorsement_failures', { ...kv, chaincodeerror: 'true' })).toBe(0);
    expect(delta('endorser_proposal_duration_count', { ...kv, success: 'false' })).toBe(1);
    expect(delta('endorser_proposal_simulation_failures', { channel: CHANNEL, chaincode: 'nothing' })).toBe(0);
    expect(delta('endorser_proposal_duration_count', { channel: CHANNEL, chaincode: 'nothing', success: 'false' })).toBe(1);
    expect(delta('endorser_duplicate_transaction_failures', kv)).toBe(1);
    expect(delta('endorser_proposal_validation_failures')).toBe(1);
    expect(delta('endorser_proposal_acl_failures', kv)).toBe(1);

    const text = await (await fetch(`http://${net.peers[0].operationsAddress() as string}/metrics`)).text();
    // The Gateway's client and the raw endorser client connected to this peer.
    expect(sample(text, 'grpc_comm_conn_opened')).toBeGreaterThanOrEqual(2);
    for (const [name, type] of Object.entries(PEER_METRIC_TYPES)) expect(text).toContain(`# TYPE ${name} ${type}\n`);
    // Prometheus's default buckets, as Fabric's endorser histogram has no buckets of its own.
    const bounds = labelSets(text, 'endorser_proposal_duration_bucket').filter((l) => l.chaincode === 'kv' && l.success === 'true').map((l) => l.le);
    expect(bounds).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);

    // Every call went through Fabric's gRPC server metrics, labelled as Fabric's interceptors label them.
    const gateway = (method: string): Record<string, string> => ({ service: 'gateway_Gateway', method });
    for (const method of ['Endorse', 'Submit', 'CommitStatus']) {
      expect(delta('grpc_server_unary_requests_received', gateway(method))).toBe(1);
      expect(delta('grpc_server_unary_requests_completed', { ...gateway(method), code: 'OK' })).toBe(1);
    }
    expect(delta('grpc_server_unary_requests_received', gateway('Evaluate'))).toBe(3);
    expect(delta('grpc_server_unary_requests_completed', { ...gateway('Evaluate'), code: 'OK' })).toBe(1);
    const stream = { service: 'weft_peer_EndorserStream', method: 'ProcessProposals' };
    expect(delta('grpc_server_stream_messages_received', stream)).toBe(4);
    expect(delta('grpc_server_stream_messages_sent', stream)).toBe(4);

    // The other org's peer endorsed the submit (over the peer-to-peer stream) and nothing else succeeded there.
    const other = await endorserMetrics(net, 1);
    expect(other('endorser_successful_proposals') - otherBefore('endorser_successful_proposals')).toBe(1);
    // Its commit may trail this peer's by a moment.
    await eventually(async () => {
      const committed = await endorserMetrics(net, 1);
      expect(committed('ledger_transaction_count', { channel: CHANNEL, transaction_type: 'ENDORSER_TRANSACTION', chaincode: 'kv:1.0', validation_code: 'VALID' })).toBe(1);
    });
  }, 60_000);
});
