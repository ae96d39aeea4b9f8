import { sign } from 'node:crypto';
import { SignaturePrecheck } from '../../../../core/orderer/signature-precheck';
import { CURVE_ORDERS, X509MspProvider, createTestOrg, encodeEcdsaSignature, parseEcdsaSignature, toLowS } from '../../../../plugins/msp-x509';

async function material() {
  const org = await createTestOrg({ mspId: 'Org1MSP' });
  const msp = new X509MspProvider().createMsp(org.mspConfig());
  const user = await org.issue('User1@org1.example.com', { role: 'client' });
  const order = CURVE_ORDERS.prime256v1!;
  const data = Buffer.from('envelope payload');
  const good = toLowS(sign('sha256', data, { key: user.privateKey, dsaEncoding: 'der' }), order);
  const parsed = parseEcdsaSignature(good)!;
  const highS = encodeEcdsaSignature({ r: parsed.r, s: order - parsed.s });
  return { msp, user, data, good, highS };
}

describe('orderer signature precheck', () => {
  it('leaves verification to the MSP inline while the event loop is not busy, and offloads once it is', async () => {
    const { msp, user, data, good, highS } = await material();
    let busy = false;
    const precheck = new SignaturePrecheck({ busy: () => busy });
    const wrapped = precheck.wrap(msp);
    await precheck.check({ data, identity: user.serialized, signature: good }, msp);
    expect(precheck.isVerified(user.serialized, data, good)).toBe(false);
    // The inline path decides the same way.
    expect(wrapped.deserializeIdentity(user.serialized).verify(data, good)).toBe(true);
    expect(wrapped.deserializeIdentity(user.serialized).verify(data, highS)).toBe(false);

    busy = true;
    await precheck.check({ data, identity: user.serialized, signature: good }, msp);
    await precheck.check({ data, identity: user.serialized, signature: highS }, msp);
    expect(precheck.isVerified(user.serialized, data, good)).toBe(true);
    expect(precheck.isVerified(user.serialized, data, highS)).toBe(false);
  });

  it('marks exactly the signatures it verified off the event loop; everything else falls back to the MSP', async () => {
    const { msp, user, data, good, highS } = await material();
    const precheck = new SignaturePrecheck();
    const wrapped = precheck.wrap(msp);
    await precheck.check({ data, identity: user.serialized, signature: good }, msp);
    await precheck.check({ data, identity: user.serialized, signature: highS }, msp);
    // An identity that does not deserialize is skipped, not thrown.
    await expect(precheck.check({ data, identity: new Uint8Array([1, 2, 3]), signature: good }, msp)).resolves.toBeUndefined();

    expect(precheck.isVerified(user.serialized, data, good)).toBe(true);
    expect(precheck.isVerified(user.serialized, data, highS)).toBe(false);
    // Same content in another byte object: not the bytes that were checked, so not marked.
    expect(precheck.isVerified(user.serialized, Buffer.from(data), good)).toBe(false);

    const identity = wrapped.deserializeIdentity(user.serialized);
    expect(identity.verify(data, good)).toBe(true);
    expect(identity.verify(Buffer.from(data), good)).toBe(true); // falls back to the MSP's verify
    expect(identity.verify(data, highS)).toBe(false);
    expect(await identity.verifyAsync(data, highS)).toBe(false);
  });
});
