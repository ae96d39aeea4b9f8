import { InlineSignatureVerifier, ThreadPoolSignatureVerifier, type SignatureCheck } from '../../../../../core/peer/validation/signature-verifier';
import { CURVE_ORDERS, X509MspProvider, createTestOrg, encodeEcdsaSignature, parseEcdsaSignature } from '../../../../../plugins/msp-x509';

describe('committer signature verification', () => {
  let checks: SignatureCheck[];
  let expected: boolean[];

  beforeAll(async () => {
    const org = await createTestOrg({ mspId: 'Org1MSP' });
    const msp = new X509MspProvider().createMsp(org.mspConfig());
    const peer = await org.issue('peer0.org1.example.com', { role: 'peer' });
    const ed = await org.issue('User2@org1.example.com', { role: 'client', keyAlgorithm: 'Ed25519' });
    const peerId = msp.deserializeIdentity(peer.serialized);
    const edId = msp.deserializeIdentity(ed.serialized);
    const data = Buffer.from('block 7, transaction 3');
    const { sign } = await import('node:crypto');
    const good = sign('sha256', data, { key: peer.privateKey, dsaEncoding: 'der' });
    const parsed = parseEcdsaSignature(good)!;
    const order = CURVE_ORDERS.prime256v1!;
    const low = encodeEcdsaSignature({ r: parsed.r, s: parsed.s > order >> 1n ? order - parsed.s : parsed.s });
    const high = encodeEcdsaSignature({ r: parsed.r, s: order - (parsed.s > order >> 1n ? order - parsed.s : parsed.s) });
    const edSig = sign(null, data, ed.privateKey);
    checks = [
      { identity: peerId, data, signature: low },
      { identity: peerId, data, signature: high },
      { identity: peerId, data: Buffer.from('another message'), signature: low },
      { identity: peerId, data, signature: new Uint8Array([0x30, 0x02, 0x01]) },
      { identity: edId, data, signature: edSig },
      { identity: edId, data, signature: Buffer.from(edSig).fill(0, 0, 8) },
    ];
    expected = [true, false, false, false, true, false];
  });

  it('verifies on the thread pool with Fabric rules: low-S only, canonical DER, Ed25519', async () => {
    expect(await new ThreadPoolSignatureVerifier().verifyAll(checks)).toEqual(expected);
  });

  it('gives the same answers as inline verification', async () => {
    expect(await new InlineSignatureVerifier().verifyAll(checks)).toEqual(expected);
  });
});
