import { CachingDeserializer } from '../../../../../core/peer/channel/caching-deserializer';
import type { Identity } from '../../../../../core/msp/identity';
import type { IdentityDeserializer } from '../../../../../core/msp/msp';

/** A PEM-like serialized identity: `body` varies, the last 90 bytes (where the cache samples) are `tail`. */
function serialized(body: string, tail: string): Uint8Array {
  return new Uint8Array(Buffer.from(`Org1MSP|${body}|${tail.padEnd(32, '.')}\n-----END CERTIFICATE-----\n-----END CERTIFICATE-----\n.....`, 'latin1'));
}

/** Counts calls; identities are told apart by their bytes, and `bad` bytes fail to deserialize. */
class CountingDeserializer implements IdentityDeserializer {
  calls = 0;
  deserializeIdentity(bytes: Uint8Array): Identity {
    this.calls++;
    const text = Buffer.from(bytes).toString('latin1');
    if (text.includes('bad')) throw new Error(`not an identity: ${text.slice(0, 20)}`);
    return {
      mspId: 'Org1MSP',
      serialized: bytes,
      idBytes: bytes,
      id: text,
      expiresAt: undefined,
      organizationalUnits: [],
      validate: () => undefined,
      satisfiesPrincipal: () => true,
      verify: (message: Uint8Array) => Buffer.from(message).toString() === 'real',
      verifyAsync: (message: Uint8Array) => Promise.resolve(Buffer.from(message).toString() === 'real'),
    } as unknown as Identity;
  }
}

describe('CachingDeserializer', () => {
  it('deserializes each distinct identity once, whatever byte object carries it', () => {
    const inner = new CountingDeserializer();
    const cache = new CachingDeserializer(inner);
    const a = cache.deserializeIdentity(serialized('alice', 'sig-a'));
    expect(cache.deserializeIdentity(serialized('alice', 'sig-a'))).toBe(a);
    expect(cache.deserializeIdentity(new Uint8Array(serialized('alice', 'sig-a')))).toBe(a);
    expect(inner.calls).toBe(1);
  });

  it('keeps identities apart when their sampled keys collide', () => {
    const inner = new CountingDeserializer();
    const cache = new CachingDeserializer(inner);
    // Same length, same tail: only the bytes outside the sampled window differ.
    const alice = cache.deserializeIdentity(serialized('alice', 'same-signature'));
    const bobby = cache.deserializeIdentity(serialized('bobby', 'same-signature'));
    expect(bobby).not.toBe(alice);
    expect(bobby.id).toContain('bobby');
    expect(cache.deserializeIdentity(serialized('alice', 'same-signature'))).toBe(alice);
    expect(cache.deserializeIdentity(serialized('bobby', 'same-signature'))).toBe(bobby);
    expect(inner.calls).toBe(2);
  });

  it('does not cache identities that fail to deserialize', () => {
    const inner = new CountingDeserializer();
    const cache = new CachingDeserializer(inner);
    const bad = serialized('bad', 'sig-bad');
    expect(() => cache.deserializeIdentity(bad)).toThrow('not an identity');
    expect(() => cache.deserializeIdentity(bad)).toThrow('not an identity');
    expect(inner.calls).toBe(2);
  });

  it('answers verify from the table of checked signatures only for the same data and signer', () => {
    const cache = new CachingDeserializer(new CountingDeserializer());
    const alice = cache.deserializeIdentity(serialized('alice', 'sig-a'));
    const bobby = cache.deserializeIdentity(serialized('bobby', 'sig-b'));
    const signature = new Uint8Array([1, 2, 3]);
    const data = new Uint8Array(Buffer.from('checked elsewhere'));
    const results = [{ data, identity: alice.serialized, signature, valid: true }];
    cache.withVerified(results, () => {
      expect(alice.verify(data, signature)).toBe(true); // from the table, not the inner verify
      expect(bobby.verify(data, signature)).toBe(false); // another signer: the inner verify says no
      expect(alice.verify(new Uint8Array(Buffer.from('other')), signature)).toBe(false);
    });
    expect(alice.verify(data, signature)).toBe(false); // the table is gone
  });
});
