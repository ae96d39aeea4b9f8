import { createHash } from 'node:crypto';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { AliveMessage, Chaincode, Envelope, GossipMessage, Member, PeerTime, Properties, StateInfo } from '@hyperledger/fabric-protos/lib/gossip/message_pb';
import type { SigningIdentity } from '../../msp/identity';
import { decode } from '../../protocol/bounded-decode';
import { concatBytes } from '../../protocol/bytes';
import { decodeConfigProto } from '../../protocol/config-decode';
import { SerializedIdentitySchema } from '../../protocol/config-schemas';

/**
 * The signed gossip messages service discovery hands out about each peer, as Fabric's gossip
 * makes them: an `AliveMessage` (endpoint, PKI-ID, a timestamp that grows with every message) and,
 * per channel, a `StateInfo` (ledger height, the chaincodes the peer can run). Each is a
 * `gossip.Envelope` whose signature, by the peer itself, covers the `GossipMessage` bytes; clients
 * read them, and a peer relays another's envelope unchanged.
 */

/** A gossip timestamp: `incNum` fixed per process start, `seqNum` growing with each message. */
export interface GossipTime {
  readonly incNum: number;
  readonly seqNum: number;
}

/**
 * Fabric's PKI-ID of a peer: SHA-256 of its MSP id followed by its certificate bytes
 * (`GetPKIidOfCert`), the identity decoded as Fabric's deserializer does with protobuf-go, so a peer
 * gets the same PKI-ID here as on Fabric's peers and in their discovery answers.
 */
export function pkiIdOf(serializedIdentity: Uint8Array): Uint8Array {
  const id = decodeConfigProto(SerializedIdentity, SerializedIdentitySchema, serializedIdentity, 'identity');
  return new Uint8Array(
    createHash('sha256')
      .update(concatBytes(new TextEncoder().encode(id.getMspid()), id.getIdBytes_asU8()))
      .digest(),
  );
}

/** The MAC binding a state info message to a channel without naming it: SHA-256 of PKI-ID then channel id (`GenerateMAC`). */
export function channelMac(pkiId: Uint8Array, channelId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(pkiId).update(channelId).digest());
}

function peerTime(t: GossipTime): PeerTime {
  const p = new PeerTime();
  p.setIncNum(t.incNum);
  p.setSeqNum(t.seqNum);
  return p;
}

function signed(message: GossipMessage, signer: SigningIdentity): Envelope {
  const payload = message.serializeBinary();
  const env = new Envelope();
  env.setPayload(payload);
  env.setSignature(signer.sign(payload));
  return env;
}

export function signAlive(signer: SigningIdentity, pkiId: Uint8Array, endpoint: string, time: GossipTime): Envelope {
  const member = new Member();
  member.setEndpoint(endpoint);
  member.setPkiId(pkiId);
  const alive = new AliveMessage();
  alive.setMembership(member);
  alive.setTimestamp(peerTime(time));
  const msg = new GossipMessage();
  msg.setTag(GossipMessage.Tag.EMPTY);
  msg.setAliveMsg(alive);
  return signed(msg, signer);
}

/** A chaincode as gossip announces it: name and, for `_lifecycle` definitions, the sequence as version. */
export interface AnnouncedChaincode {
  readonly name: string;
  readonly version: string;
}

export function signStateInfo(
  signer: SigningIdentity,
  pkiId: Uint8Array,
  channelId: string,
  time: GossipTime,
  ledgerHeight: number,
  chaincodes: readonly AnnouncedChaincode[],
): Envelope {
  const props = new Properties();
  props.setLedgerHeight(ledgerHeight);
  props.setChaincodesList(
    chaincodes.map((c) => {
      const cc = new Chaincode();
      cc.setName(c.name);
      cc.setVersion(c.version);
      return cc;
    }),
  );
  const info = new StateInfo();
  info.setTimestamp(peerTime(time));
  info.setPkiId(pkiId);
  info.setChannelMac(channelMac(pkiId, channelId));
  info.setProperties(props);
  const msg = new GossipMessage();
  msg.setTag(GossipMessage.Tag.CHAN_OR_ORG);
  msg.setStateInfo(info);
  return signed(msg, signer);
}

export interface ReadAlive {
  readonly pkiId: Uint8Array;
  readonly endpoint: string;
  readonly time: GossipTime;
}

export interface ReadStateInfo {
  readonly pkiId: Uint8Array;
  readonly channelMac: Uint8Array;
  readonly time: GossipTime;
  readonly ledgerHeight: number;
  readonly chaincodes: readonly AnnouncedChaincode[];
}

function timeOf(t: PeerTime | undefined): GossipTime {
  return { incNum: t?.getIncNum() ?? 0, seqNum: t?.getSeqNum() ?? 0 };
}

/** The alive message an envelope carries; throws when it carries none. */
export function readAlive(env: Envelope): ReadAlive {
  const alive = decode(GossipMessage, env.getPayload_asU8(), 'membership_info.payload').getAliveMsg();
  const member = alive?.getMembership();
  if (alive === undefined || member === undefined) throw new Error('the envelope holds no alive message with a membership');
  return { pkiId: member.getPkiId_asU8(), endpoint: member.getEndpoint(), time: timeOf(alive.getTimestamp()) };
}

/** The state info an envelope carries; throws when it carries none. */
export function readStateInfo(env: Envelope): ReadStateInfo {
  const info = decode(GossipMessage, env.getPayload_asU8(), 'state_info.payload').getStateInfo();
  if (info === undefined) throw new Error('the envelope holds no state info message');
  const props = info.getProperties();
  return {
    pkiId: info.getPkiId_asU8(),
    channelMac: info.getChannelMac_asU8(),
    time: timeOf(info.getTimestamp()),
    ledgerHeight: props?.getLedgerHeight() ?? 0,
    chaincodes: (props?.getChaincodesList() ?? []).map((c) => ({ name: c.getName(), version: c.getVersion() })),
  };
}

/** Whether `a` is a later gossip timestamp than `b`. */
export function isNewer(a: GossipTime, b: GossipTime): boolean {
  return a.incNum > b.incNum || (a.incNum === b.incNum && a.seqNum > b.seqNum);
}
