import { generateKeyPairSync, sign, verify, KeyObject } from 'node:crypto';
import { serializeIdentity } from '../../../../core/protocol/serialized-identity';
import type { Signer } from '../../../../core/protocol/signer';

/** A P-256 signer for protocol tests; `serialized` wraps placeholder PEM bytes (no certificate needed here). */
export interface TestSigner extends Signer {
  readonly publicKey: KeyObject;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export function newTestSigner(mspId = 'Org1MSP', name = 'user1'): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(`${mspId}/${name}`).toString('base64')}\n-----END CERTIFICATE-----\n`;
  return {
    serialized: serializeIdentity(mspId, new TextEncoder().encode(pem)),
    publicKey,
    sign: (message) => new Uint8Array(sign('sha256', message, privateKey)),
    verify: (message, signature) => verify('sha256', message, publicKey, signature),
  };
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
