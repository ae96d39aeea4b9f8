/**
 * The slice of Node's `crypto` chaincode uses: `createHash` (computed by the host) and
 * `X509Certificate`. Anything random is absent on purpose: it would break endorsement matching.
 */
import { Buffer } from 'buffer';
import { host, unwrap } from './host';
import { parseCertificate } from './x509';

type Encoding = 'hex' | 'base64' | 'base64url' | 'latin1' | 'binary' | 'utf8';

class Hash {
  private readonly chunks: Buffer[] = [];
  private done = false;
  constructor(private readonly algorithm: string) {}

  update(data: string | Uint8Array, encoding?: BufferEncoding): this {
    if (this.done) throw new Error('Digest already called');
    this.chunks.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    return this;
  }

  digest(): Buffer;
  digest(encoding: Encoding): string;
  digest(encoding?: Encoding): Buffer | string {
    if (this.done) throw new Error('Digest already called');
    this.done = true;
    const out = unwrap(host().hash(this.algorithm, Buffer.concat(this.chunks)));
    const b = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    return encoding === undefined ? b : b.toString(encoding);
  }
}

export function createHash(algorithm: string): Hash {
  return new Hash(String(algorithm).toLowerCase());
}

export class X509Certificate {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly fingerprint256: string;
  readonly subjectAltName: string | undefined;
  readonly raw: Buffer;
  private readonly pem: string;

  constructor(input: string | Uint8Array) {
    this.pem = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    const c = parseCertificate(this.pem);
    this.subject = c.subject;
    this.issuer = c.issuer;
    this.serialNumber = c.serialNumber;
    this.validFrom = c.validFrom;
    this.validTo = c.validTo;
    this.fingerprint256 = c.fingerprint256;
    this.subjectAltName = c.subjectAltName;
    this.raw = Buffer.from(c.raw.buffer, c.raw.byteOffset, c.raw.byteLength);
  }

  toString(): string {
    return this.pem;
  }
  toJSON(): string {
    return this.pem;
  }
}

function unavailable(name: string): () => never {
  return () => {
    throw new Error(`crypto.${name} is not available in chaincode: it would make endorsements non-deterministic`);
  };
}

export const randomBytes = unavailable('randomBytes');
export const randomUUID = unavailable('randomUUID');
export const randomInt = unavailable('randomInt');
export const getRandomValues = unavailable('getRandomValues');
export default { createHash, X509Certificate, randomBytes, randomUUID, randomInt, getRandomValues };
