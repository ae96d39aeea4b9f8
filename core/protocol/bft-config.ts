import { Consenter, Orderers } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { ConfigGroup, ConfigPolicy, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { Policy, SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { Options } from '@hyperledger/fabric-protos/lib/orderer/smartbft/configuration_pb';
import { encodeSignatureEnvelope } from './policy-wire';
import { serializeIdentity } from './serialized-identity';

/** `ConsensusType.type` of a SmartBFT ordering service (configtxgen's `ConsensusTypeBFT`). */
export const BFT_CONSENSUS_TYPE = 'BFT';

/** Key of the `common.Orderers` value in the Orderer group (channelconfig `OrderersKey`). */
export const ORDERERS_KEY = 'Orderers';

/** One entry of the Orderer group's `Orderers.consenter_mapping` (`common.Consenter`). */
export interface BftConsenter {
  /** The numeric id a SmartBFT node signs blocks under (`IdentifierHeader.identifier`). */
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly mspId: string;
  /** The node's enrollment certificate (PEM bytes): the identity its block signatures are checked against. */
  readonly identity: Uint8Array;
  readonly clientTlsCert: Uint8Array;
  readonly serverTlsCert: Uint8Array;
}

/** A decoded `common.Consenter`, as the config holds it. */
export function consenterOf(c: Consenter): BftConsenter {
  return {
    id: c.getId(),
    host: c.getHost(),
    port: c.getPort(),
    mspId: c.getMspId(),
    identity: c.getIdentity_asU8(),
    clientTlsCert: c.getClientTlsCert_asU8(),
    serverTlsCert: c.getServerTlsCert_asU8(),
  };
}

/** The `common.Orderers` value listing `consenters` (channelconfig `OrderersValue`). */
export function orderersValue(consenters: readonly BftConsenter[]): Orderers {
  const orderers = new Orderers();
  orderers.setConsenterMappingList(
    consenters.map((c) => {
      const proto = new Consenter();
      proto.setId(c.id);
      proto.setHost(c.host);
      proto.setPort(c.port);
      proto.setMspId(c.mspId);
      proto.setIdentity(c.identity);
      proto.setClientTlsCert(c.clientTlsCert);
      proto.setServerTlsCert(c.serverTlsCert);
      return proto;
    }),
  );
  return orderers;
}

/**
 * Whether block signatures may name their signer by consenter id (Fabric's `ConsensusTypeBFT`
 * capability, which is channel capability V3_0, not the consensus type: a Raft channel at V3_0
 * reads identifier headers too, and, having no consenter mapping, skips them).
 */
export function bftBlockSignatures(channelCapabilities: readonly string[]): boolean {
  return channelCapabilities.includes('V3_0');
}

/**
 * SmartBFT's quorum for `n` consenters (Fabric `policies.ComputeBFTQuorum`, the gateway's
 * `computeBFTQuorum`): f = ⌊(n−1)/3⌋, Q = ⌈(n+f+1)/2⌉, so any two quorums share f+1 nodes.
 */
export function bftQuorum(n: number): number {
  const f = Math.trunc((n - 1) / 3);
  return Math.ceil((n + f + 1) / 2);
}

/** `SerializedIdentity{consenter.msp_id, consenter.identity}` bytes: who signed under the consenter's id. */
export function consenterIdentity(c: BftConsenter): Uint8Array {
  return serializeIdentity(c.mspId, c.identity);
}

/**
 * `/Channel/Orderer/BlockValidation` of a BFT channel (Fabric `EncodeBFTBlockVerificationPolicy`):
 * a SIGNATURE policy `NOutOf(quorum, SignedBy(0) … SignedBy(n−1))` over one IDENTITY principal
 * per consenter, in the mapping's order. `SignaturePolicyEnvelope` bytes.
 */
export function bftBlockValidationPolicy(consenters: readonly BftConsenter[]): Uint8Array {
  const gate = new SignaturePolicy.NOutOf();
  gate.setN(bftQuorum(consenters.length));
  gate.setRulesList(
    consenters.map((_, i) => {
      const rule = new SignaturePolicy();
      rule.setSignedBy(i);
      return rule;
    }),
  );
  const rule = new SignaturePolicy();
  rule.setNOutOf(gate);
  const envelope = new SignaturePolicyEnvelope();
  envelope.setRule(rule);
  envelope.setIdentitiesList(
    consenters.map((c) => {
      const principal = new MSPPrincipal();
      principal.setPrincipalClassification(MSPPrincipal.Classification.IDENTITY);
      principal.setPrincipal(consenterIdentity(c));
      return principal;
    }),
  );
  return encodeSignatureEnvelope(envelope);
}

/**
 * What configtxgen adds to an Orderer group for `OrdererType: BFT` (`NewOrdererGroup`): the
 * `Orderers` value listing `consenters`, and BlockValidation replaced by
 * {@link bftBlockValidationPolicy}, keeping its mod_policy. The ConsensusType value (type "BFT",
 * `smartbft.Options` metadata) is the caller's.
 */
export function addBftConsenters(ordererGroup: ConfigGroup, consenters: readonly BftConsenter[], modPolicy = 'Admins'): void {
  const value = new ConfigValue();
  value.setValue(orderersValue(consenters).serializeBinary());
  value.setModPolicy(modPolicy);
  ordererGroup.getValuesMap().set(ORDERERS_KEY, value);
  const policy = new Policy();
  policy.setType(Policy.PolicyType.SIGNATURE);
  policy.setValue(bftBlockValidationPolicy(consenters));
  const configPolicy = new ConfigPolicy();
  configPolicy.setModPolicy(ordererGroup.getPoliciesMap().get('BlockValidation')?.getModPolicy() ?? modPolicy);
  configPolicy.setPolicy(policy);
  ordererGroup.getPoliciesMap().set('BlockValidation', configPolicy);
}

/** Fabric's sample configtx.yaml `Orderer.SmartBFT` (sampleconfig), leader rotation off as Fabric 3 requires. */
const SAMPLE_SMARTBFT_OPTIONS: Options.AsObject = {
  requestBatchMaxCount: 0,
  requestBatchMaxBytes: 0,
  requestBatchMaxInterval: '200ms',
  incomingMessageBufferSize: 200,
  requestPoolSize: 100000,
  requestForwardTimeout: '5s',
  requestComplainTimeout: '20s',
  requestAutoRemoveTimeout: '3m0s',
  requestMaxBytes: 0,
  viewChangeResendInterval: '5s',
  viewChangeTimeout: '20s',
  leaderHeartbeatTimeout: '1m0s',
  leaderHeartbeatCount: 10,
  collectTimeout: '1s',
  syncOnStart: false,
  speedUpViewChange: false,
  leaderRotation: Options.Rotation.ROTATION_OFF,
  decisionsPerLeader: 0,
};

/**
 * `ConsensusType.metadata` of a BFT channel: `smartbft.Options` bytes with Fabric's sample values,
 * `values` over them. (A SmartBFT orderer takes the request batch count and bytes from BatchSize.)
 */
export function smartBftOptions(values: Partial<Options.AsObject> = {}): Uint8Array {
  const v = { ...SAMPLE_SMARTBFT_OPTIONS, ...values };
  const o = new Options();
  o.setRequestBatchMaxCount(v.requestBatchMaxCount);
  o.setRequestBatchMaxBytes(v.requestBatchMaxBytes);
  o.setRequestBatchMaxInterval(v.requestBatchMaxInterval);
  o.setIncomingMessageBufferSize(v.incomingMessageBufferSize);
  o.setRequestPoolSize(v.requestPoolSize);
  o.setRequestForwardTimeout(v.requestForwardTimeout);
  o.setRequestComplainTimeout(v.requestComplainTimeout);
  o.setRequestAutoRemoveTimeout(v.requestAutoRemoveTimeout);
  o.setRequestMaxBytes(v.requestMaxBytes);
  o.setViewChangeResendInterval(v.viewChangeResendInterval);
  o.setViewChangeTimeout(v.viewChangeTimeout);
  o.setLeaderHeartbeatTimeout(v.leaderHeartbeatTimeout);
  o.setLeaderHeartbeatCount(v.leaderHeartbeatCount);
  o.setCollectTimeout(v.collectTimeout);
  o.setSyncOnStart(v.syncOnStart);
  o.setSpeedUpViewChange(v.speedUpViewChange);
  o.setLeaderRotation(v.leaderRotation);
  o.setDecisionsPerLeader(v.decisionsPerLeader);
  return o.serializeBinary();
}
