/**
 * fabric-shim's `getSignedProposal()`: its header parts and payload are google-protobuf messages
 * (`creator.getMspid()`, `channelHeader.getTxId()`, `payload.getTransientmapMap().get(k)`). The
 * sandbox has no google-protobuf, so the host's plain decode is dressed in the getters those
 * messages have. The plain fields stay too, for chaincode written against Weft's earlier shape.
 */
import { Buffer } from 'buffer';
import type { HostChannelHeader, HostSignedProposal } from '../host-api';

type Bytes = Uint8Array;

/**
 * google-protobuf's three getters of a bytes field: as stored, as bytes, as base64. A field whose
 * getter would shadow jspb.Message's own (`extension`) gets a `$` on the first.
 */
function bytesGetters(name: string, bytes: Bytes, suffix = ''): Record<string, () => Bytes | string> {
  return { [`get${name}${suffix}`]: () => bytes, [`get${name}_asU8`]: () => bytes, [`get${name}_asB64`]: () => Buffer.from(bytes).toString('base64') };
}

const b64 = (bytes: Bytes): string => Buffer.from(bytes).toString('base64');

/** google-protobuf's Timestamp; `toDate` drops the sub-millisecond part, it does not round it. */
export function timestampMessage(ts: { seconds: number; nanos: number }) {
  return {
    ...ts,
    getSeconds: () => ts.seconds,
    getNanos: () => ts.nanos,
    toDate: () => new Date(ts.seconds * 1000 + ts.nanos / 1000000),
    toObject: () => ({ seconds: ts.seconds, nanos: ts.nanos }),
  };
}

function channelHeaderMessage(ch: HostChannelHeader) {
  const timestamp = ch.timestamp && timestampMessage(ch.timestamp);
  return {
    ...ch,
    getType: () => ch.type,
    getVersion: () => ch.version,
    getTimestamp: () => timestamp,
    hasTimestamp: () => timestamp !== undefined,
    getChannelId: () => ch.channelId,
    getTxId: () => ch.txId,
    getEpoch: () => ch.epoch,
    ...bytesGetters('Extension', ch.extension, '$'),
    ...bytesGetters('TlsCertHash', ch.tlsCertHash),
    toObject: () => ({ type: ch.type, version: ch.version, timestamp: timestamp?.toObject(), channelId: ch.channelId, txId: ch.txId, epoch: ch.epoch, extension: b64(ch.extension), tlsCertHash: b64(ch.tlsCertHash) }),
  };
}

function serializedIdentityMessage(creator: { mspid: string; idBytes: Bytes }) {
  return { ...creator, getMspid: () => creator.mspid, ...bytesGetters('IdBytes', creator.idBytes), toObject: () => ({ mspid: creator.mspid, idBytes: b64(creator.idBytes) }) };
}

/** google-protobuf's `jspb.Map` as chaincode reads it. */
function mapMessage(entries: readonly (readonly [string, Bytes])[]) {
  const map = new Map(entries);
  const self = {
    get: (key: string) => map.get(key),
    has: (key: string) => map.has(key),
    getLength: () => map.size,
    keys: () => map.keys(),
    values: () => map.values(),
    entries: () => map.entries(),
    forEach: (fn: (value: Bytes, key: string, m: unknown) => void) => map.forEach((v, k) => fn(v, k, self)),
    getEntryList: () => [...map.entries()],
    toObject: () => [...map.entries()].map(([k, v]) => [k, b64(v)]),
  };
  return self;
}

function proposalPayloadMessage(decoded: { input: Bytes; transientMap: readonly (readonly [string, Bytes])[] }) {
  const transient = mapMessage(decoded.transientMap);
  return {
    ...bytesGetters('Input', decoded.input),
    getTransientmapMap: () => transient,
    toObject: () => ({ input: b64(decoded.input), transientmapMap: transient.toObject() }),
  };
}

/** fabric-shim's shape of a signed proposal; under a peer of an earlier Weft version, which decodes less, the payload stays bytes. */
export function fabricSignedProposal(sp: HostSignedProposal) {
  const { signatureHeader, channelHeader } = sp.proposal.header;
  return {
    signature: sp.signature,
    proposal: {
      header: {
        signatureHeader: { nonce: signatureHeader.nonce, creator_u8: signatureHeader.creatorBytes, creator: serializedIdentityMessage(signatureHeader.creator) },
        channelHeader: channelHeaderMessage(channelHeader),
      },
      payload: sp.proposal.decodedPayload ? proposalPayloadMessage(sp.proposal.decodedPayload) : sp.proposal.payload,
    },
  };
}

export type FabricSignedProposal = ReturnType<typeof fabricSignedProposal>;
export type TimestampMessage = ReturnType<typeof timestampMessage>;
