import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { ChannelHeader, Header, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeProposalPayload } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ProtocolErrorCode } from '../../../../core/protocol';
import { parseChannelHeader, parseHeaderBytes, parseSignatureHeader } from '../../../../core/protocol/header';
import { proposalPayloadForTx } from '../../../../core/protocol/proposal-hash';
import { expectProtocolError } from './expect-protocol-error';

function channelHeader(fill: (h: ChannelHeader) => void): Uint8Array {
  const h = new ChannelHeader();
  fill(h);
  return h.serializeBinary();
}

/** What google-protobuf reads from the same bytes: the wire decoders must agree with it. */
function reference(bytes: Uint8Array) {
  const h = ChannelHeader.deserializeBinary(bytes);
  const ts = h.getTimestamp();
  return {
    type: h.getType(),
    version: h.getVersion(),
    channelId: h.getChannelId(),
    txId: h.getTxId(),
    epoch: h.getEpoch(),
    exactTimestamp: ts === undefined ? undefined : { seconds: ts.getSeconds(), nanos: ts.getNanos() },
    extension: h.getExtension_asU8(),
    tlsCertHash: h.getTlsCertHash_asU8(),
  };
}

describe('header wire decoding', () => {
  it('reads every ChannelHeader field as google-protobuf does, negative numbers included', () => {
    const ts = new Timestamp();
    ts.setSeconds(-62_135_596_800);
    ts.setNanos(999_999_999);
    const cases = [
      channelHeader((h) => {
        h.setType(3);
        h.setVersion(7);
        h.setTimestamp(ts);
        h.setChannelId('mychannel');
        h.setTxId('ab'.repeat(32));
        h.setEpoch(2 ** 40);
        h.setExtension$(Uint8Array.from([1, 2, 3]));
        h.setTlsCertHash(Uint8Array.from([9, 8]));
      }),
      channelHeader((h) => {
        h.setType(-5);
        h.setVersion(-2147483648);
        h.setChannelId('ü-channel');
      }),
      channelHeader(() => undefined),
    ];
    for (const bytes of cases.filter((b) => b.length > 0)) {
      const parsed = parseChannelHeader(bytes, 'h');
      const { bytes: raw, timestamp, ...fields } = parsed;
      expect(raw).toBe(bytes);
      expect(fields).toEqual(reference(bytes));
      if (fields.exactTimestamp !== undefined) expect(timestamp?.getTime()).toBe(fields.exactTimestamp.seconds * 1000 + 999);
    }
  });

  it('skips unknown fields and keeps the last occurrence of a repeated scalar', () => {
    const a = channelHeader((h) => h.setChannelId('first'));
    const b = channelHeader((h) => h.setChannelId('second'));
    const unknown = Uint8Array.from([0x78, 0x05, 0x82, 0x01, 0x02, 0xaa, 0xbb]); // field 15 varint, field 16 bytes
    const bytes = Uint8Array.from([...a, ...unknown, ...b]);
    expect(parseChannelHeader(bytes, 'h').channelId).toBe('second');
    expect(reference(bytes).channelId).toBe('second');
  });

  it('reads a Header and its SignatureHeader as views into the input', () => {
    const sh = new SignatureHeader();
    sh.setCreator(Uint8Array.from([1, 2, 3]));
    sh.setNonce(Uint8Array.from([4, 5]));
    const header = new Header();
    header.setChannelHeader(channelHeader((h) => h.setChannelId('c')));
    header.setSignatureHeader(sh.serializeBinary());
    const bytes = header.serializeBinary();
    const parsed = parseHeaderBytes(bytes, 'hdr');
    expect(parsed.channelHeader.channelId).toBe('c');
    expect([...parsed.signatureHeader.creator]).toEqual([1, 2, 3]);
    expect([...parsed.signatureHeader.nonce]).toEqual([4, 5]);
    expect(parsed.signatureHeader.creator.buffer).toBe(bytes.buffer);
    expect(parseSignatureHeader(new Uint8Array(0), 's')).toMatchObject({ creator: new Uint8Array(0), nonce: new Uint8Array(0) });
  });

  it('rejects truncated and malformed framing with PROTOCOL_MALFORMED naming the path', () => {
    const good = channelHeader((h) => h.setChannelId('mychannel'));
    expectProtocolError(() => parseChannelHeader(good.subarray(0, good.length - 2), 'env.channel_header'), ProtocolErrorCode.Malformed, 'env.channel_header');
    expectProtocolError(() => parseChannelHeader(Uint8Array.from([0x08, 0xff]), 'x'), ProtocolErrorCode.Malformed, 'truncated varint');
    expectProtocolError(() => parseSignatureHeader(Uint8Array.from([0x1b, 0x08, 0x01]), 's'), ProtocolErrorCode.Malformed, 'group is not closed');
    expectProtocolError(() => parseSignatureHeader(Uint8Array.from([0x1c]), 's'), ProtocolErrorCode.Malformed, 'END_GROUP');
    expectProtocolError(() => parseSignatureHeader(Uint8Array.from([0x0e, 0x00]), 's'), ProtocolErrorCode.Malformed, 'reserved wire type');
    expectProtocolError(() => parseHeaderBytes(Uint8Array.from([0x00]), 'hdr'), ProtocolErrorCode.Malformed, 'field number 0');
    expectProtocolError(() => parseChannelHeader(new Uint8Array(0), 'x'), ProtocolErrorCode.MissingField, 'x');
  });
});

describe('proposal payload wire encoding', () => {
  it('encodes the transaction payload exactly as google-protobuf does', () => {
    for (const size of [0, 1, 127, 128, 300, 20_000]) {
      const input = new Uint8Array(size).fill(7);
      const cpp = new ChaincodeProposalPayload();
      cpp.setInput(input);
      expect(proposalPayloadForTx(input)).toEqual(cpp.serializeBinary());
    }
  });
});
