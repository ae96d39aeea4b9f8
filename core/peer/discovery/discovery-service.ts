import { ConfigResult, Endpoint, Endpoints, type Query, QueryResult, type Request, Response, type SignedRequest, ChaincodeQueryResult } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import { ChaincodeInterest } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import type { IdentityDeserializer } from '../../msp/msp';
import type { Logger } from '../../node/logger';
import { rolePrincipal } from '../../policy/policy-expression';
import { bytesEqual } from '../../protocol/bytes';
import type { Channel } from '../channel/channel';
import type { ChannelConfigView } from '../channel/channel-config';
import type { EndorsementAnalyzer } from './endorsement-analyzer';
import type { Membership } from './membership';
import { errorResult, membersResult } from './discovery-results';
import { decodeRequest, decodeSignedRequest } from './discovery-request';

const ACCESS_DENIED = 'access denied';
const WRITERS = '/Channel/Application/Writers';

export interface DiscoveryServiceOptions {
  readonly channel: (id: string) => Channel | undefined;
  readonly membership: Membership;
  readonly analyzer: EndorsementAnalyzer;
  /** This peer's own MSP, which local (channel-less) queries are authorized against. */
  readonly localMsp: IdentityDeserializer;
  readonly localMspId: string;
  /** `peer.discovery.orgMembersAllowedAccess`: local queries from any member of this org, not only admins. */
  readonly orgMembersAllowedAccess: boolean;
  readonly logger: Logger;
}

/** A request that is not answered at all (Fabric returns an error instead of a response). */
export class DiscoveryRequestError extends Error {}

/**
 * Fabric's service discovery (`discovery.Discovery/Discover`), as `discovery/service.go` answers
 * it: a signed request with the client's identity (and, under mutual TLS, the hash of its TLS
 * certificate) and queries, each answered in order or with an error of its own. Channel queries
 * need the signer to satisfy the channel's `/Channel/Application/Writers`; local ones an admin of
 * this peer's org. Config queries give the channel's MSPs and orderer endpoints, peer queries the
 * members from {@link Membership}, chaincode queries endorsement descriptors from
 * {@link EndorsementAnalyzer}.
 */
export class DiscoveryService {
  constructor(private readonly options: DiscoveryServiceOptions) {}

  /**
   * Answers `Discover`. `clientCertHash`: the hash of the connection's client certificate, when
   * the peer requires one. Throws `DiscoveryRequestError` for a request Fabric refuses whole.
   */
  discover(bytes: Uint8Array, clientCertHash?: Uint8Array): Uint8Array {
    const signed = decodeSignedRequest(bytes);
    const request = parseRequest(signed.getPayload_asU8(), clientCertHash);
    const identity = request.getAuthentication()?.getClientIdentity_asU8() as Uint8Array;
    // An SDK asks for config, peers and endorsers at once: the signer is checked once per scope.
    const eligible = new Map<string, boolean>();
    const isEligible = (channel: Channel | undefined): boolean => {
      const scope = channel?.id ?? '';
      let ok = eligible.get(scope);
      if (ok === undefined) {
        ok = channel === undefined ? this.isLocalEligible(signed, identity) : this.isWriter(channel, signed, identity);
        eligible.set(scope, ok);
      }
      return ok;
    };
    const response = new Response();
    for (const q of request.getQueriesList()) response.addResults(this.answer(q, isEligible));
    return response.serializeBinary();
  }

  private answer(q: Query, isEligible: (channel: Channel | undefined) => boolean): QueryResult {
    const channelId = q.getChannel();
    if (channelId === '') {
      if (!isEligible(undefined)) return errorResult(ACCESS_DENIED);
      if (q.getLocalPeers() === undefined) return errorResult('unknown or missing request type');
      return membersResult(this.options.membership.alivePeers());
    }
    const channel = this.options.channel(channelId);
    if (channel === undefined || !isEligible(channel)) return errorResult(ACCESS_DENIED);
    try {
      if (q.getConfigQuery() !== undefined) return configResult(channel.resources().config);
      if (q.getPeerQuery() !== undefined) return this.peersResult(channel, q.getPeerQuery()?.getFilter());
      const ccQuery = q.getCcQuery();
      if (ccQuery !== undefined) return this.chaincodeResult(channel, ccQuery.getInterestsList());
    } catch (err) {
      return errorResult((err as Error).message);
    }
    return errorResult('unknown or missing request type');
  }

  private peersResult(channel: Channel, filter: ChaincodeInterest | undefined): QueryResult {
    const members = this.options.membership.members(channel);
    const calls = filter?.getChaincodesList() ?? [];
    return membersResult(this.options.analyzer.peersByCriteria(channel, calls, members, true).authorized);
  }

  private chaincodeResult(channel: Channel, interests: readonly ChaincodeInterest[]): QueryResult {
    if (interests.length === 0) throw new Error('chaincode query must have at least one chaincode interest');
    for (const interest of interests) {
      if (interest.getChaincodesList().length === 0) throw new Error('chaincode interest must contain at least one chaincode');
      if (interest.getChaincodesList().some((c) => c.getName() === '')) throw new Error('chaincode name in interest cannot be empty');
    }
    const members = this.options.membership.members(channel);
    const result = new ChaincodeQueryResult();
    for (const interest of interests) {
      try {
        result.addContent(this.options.analyzer.descriptor(channel, interest, members));
      } catch (err) {
        this.options.logger.debug({ channel: channel.id, interest: describeInterest(interest), err: (err as Error).message }, 'failed constructing descriptor for chaincode');
        throw new Error(`failed constructing descriptor for ${describeInterest(interest)}`);
      }
    }
    const r = new QueryResult();
    r.setCcQueryRes(result);
    return r;
  }

  private isWriter(channel: Channel, signed: SignedRequest, identity: Uint8Array): boolean {
    const resources = channel.resources();
    const policy = resources.policies.getPolicy(WRITERS);
    if (policy === undefined) return false;
    return policy.evaluate([{ data: signed.getPayload_asU8(), identity, signature: signed.getSignature_asU8() }]).satisfied;
  }

  private isLocalEligible(signed: SignedRequest, identityBytes: Uint8Array): boolean {
    const { localMsp, localMspId, orgMembersAllowedAccess } = this.options;
    try {
      const identity = localMsp.deserializeIdentity(identityBytes);
      identity.validate();
      if (identity.mspId !== localMspId) return false;
      if (!orgMembersAllowedAccess && !identity.satisfiesPrincipal(rolePrincipal(localMspId, 'admin'))) return false;
      return identity.verify(signed.getPayload_asU8(), signed.getSignature_asU8());
    } catch {
      return false;
    }
  }
}

/**
 * Fabric's `validateStructure`: a `discovery.Request` (decoded as protobuf-go does, see
 * `discovery-request.ts`) with the client's identity and, when the connection carries a client
 * certificate the peer required, that certificate's hash.
 */
export function parseRequest(payload: Uint8Array, clientCertHash: Uint8Array | undefined): Request {
  let request: Request;
  try {
    request = decodeRequest(payload);
  } catch (err) {
    throw new DiscoveryRequestError(`failed parsing request: ${(err as Error).message}`);
  }
  const auth = request.getAuthentication();
  if (auth === undefined) throw new DiscoveryRequestError('access denied, no authentication info in request');
  if (auth.getClientIdentity_asU8().length === 0) throw new DiscoveryRequestError("access denied, client identity wasn't supplied");
  if (clientCertHash !== undefined) {
    if (clientCertHash.length === 0) throw new DiscoveryRequestError("client didn't send a TLS certificate");
    if (!bytesEqual(clientCertHash, auth.getClientTlsCertHash_asU8())) {
      throw new DiscoveryRequestError('client claimed TLS hash doesn\'t match computed TLS hash from gRPC stream');
    }
  }
  return request;
}

/** The channel's MSPs and orderer endpoints (Fabric's `config.DiscoverySupport.Config`). */
function configResult(config: ChannelConfigView): QueryResult {
  const result = new ConfigResult();
  const msps = result.getMspsMap();
  for (const org of [...config.ordererOrgs, ...config.applicationOrgs]) if (!msps.has(org.mspId)) msps.set(org.mspId, org.msp);
  // Per-org endpoints take precedence; without any, every orderer org gets the channel's global ones.
  const perOrg = config.ordererOrgs.some((o) => o.endpoints.length > 0);
  const orderers = result.getOrderersMap();
  for (const org of config.ordererOrgs) {
    const endpoints = new Endpoints();
    for (const address of perOrg ? org.endpoints : config.ordererEndpoints) {
      const m = /^(.*):(\d+)$/.exec(address);
      if (m === null) continue;
      const e = new Endpoint();
      e.setHost((m[1] as string).replace(/^\[(.*)\]$/, '$1'));
      e.setPort(Number(m[2]));
      endpoints.addEndpoint(e);
    }
    orderers.set(org.mspId, endpoints);
  }
  const r = new QueryResult();
  r.setConfigResult(result);
  return r;
}

/**
 * The interest as Fabric's error names it (`%v`: protobuf-go's one-line text format, in field
 * order, set fields only). Key policies are left out: they may nest thousands of gates deep.
 */
function describeInterest(interest: ChaincodeInterest): string {
  const flag = (name: string, set: boolean): string => (set ? ` ${name}:true` : '');
  return `chaincodes:${interest
    .getChaincodesList()
    .map(
      (c) =>
        `{name:${JSON.stringify(c.getName())}${c.getCollectionNamesList().map((n) => ` collection_names:${JSON.stringify(n)}`).join('')}` +
        `${flag('no_private_reads', c.getNoPrivateReads())}${flag('no_public_writes', c.getNoPublicWrites())}${flag('disregard_namespace_policy', c.getDisregardNamespacePolicy())}}`,
    )
    .join(' ')}`;
}
