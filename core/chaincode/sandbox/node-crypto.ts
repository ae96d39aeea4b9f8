/**
 * The slice of Node's `crypto` chaincode uses: `createHash` (computed by the host), `createHmac` on
 * top of it, `timingSafeEqual` and `X509Certificate`. Anything random throws on purpose: it would
 * break endorsement matching.
 */
import { Buffer } from 'buffer';
import { host, unwrap } from './host';
import { parseCertificate } from './x509';

type Encoding = 'hex' | 'base64' | 'base64url' | 'latin1' | 'binary' | 'utf8';

function toBuffer(data: string | Uint8Array, encoding?: BufferEncoding): Buffer {
  if (typeof data === 'string') return Buffer.from(data, encoding ?? 'utf8');
  if (!ArrayBuffer.isView(data)) throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function digestOf(algorithm: string, data: Uint8Array): Buffer {
  const out = unwrap(host().hash(algorithm, data));
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

class Hash {
  protected readonly chunks: Buffer[] = [];
  private done = false;
  constructor(protected readonly algorithm: string) {}

  update(data: string | Uint8Array, encoding?: BufferEncoding): this {
    if (this.done) throw new Error('Digest already called');
    // A copy: Node hashes at update, so a caller may reuse its buffer for the next chunk.
    this.chunks.push(Buffer.from(toBuffer(data, encoding)));
    return this;
  }

  /** Node's `hash.copy()`: a hash of what was fed so far, fed on independently. */
  copy(): Hash {
    if (this.done) throw new Error('Digest already called');
    const copy = new Hash(this.algorithm);
    copy.chunks.push(...this.chunks);
    return copy;
  }

  digest(): Buffer;
  digest(encoding: Encoding): string;
  digest(encoding?: Encoding): Buffer | string {
    if (this.done) throw new Error('Digest already called');
    this.done = true;
    const b = this.result(Buffer.concat(this.chunks));
    return encoding === undefined ? b : b.toString(encoding);
  }

  protected result(data: Buffer): Buffer {
    return digestOf(this.algorithm, data);
  }
}

/** Each algorithm's block size in bytes, which HMAC pads its key to (RFC 2104; the SHA-3 rates of FIPS 202). */
const BLOCK_BYTES: Readonly<Record<string, number>> = { md5: 64, sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128, 'sha3-256': 136, 'sha3-384': 104, 'sha3-512': 72 };

/** HMAC (RFC 2104) over the host's digests: two hashes per `digest()`. */
class Hmac extends Hash {
  private readonly key: Buffer;

  constructor(algorithm: string, key: string | Uint8Array) {
    super(algorithm);
    const block = BLOCK_BYTES[algorithm];
    if (block === undefined) throw new Error(`Invalid digest: ${algorithm}`);
    const raw = toBuffer(key);
    this.key = Buffer.alloc(block);
    (raw.length > block ? digestOf(algorithm, raw) : raw).copy(this.key);
  }

  override copy(): never {
    throw new TypeError('hmac.copy is not a function');
  }

  protected override result(data: Buffer): Buffer {
    const pad = (byte: number): Buffer => Buffer.from(this.key.map((k) => k ^ byte));
    return digestOf(this.algorithm, Buffer.concat([pad(0x5c), digestOf(this.algorithm, Buffer.concat([pad(0x36), data]))]));
  }
}

export function createHash(algorithm: string): Hash {
  return new Hash(String(algorithm).toLowerCase());
}

export function createHmac(algorithm: string, key: string | Uint8Array): Hash {
  return new Hmac(String(algorithm).toLowerCase(), key);
}

export function getHashes(): string[] {
  return Object.keys(BLOCK_BYTES).sort();
}

/** Node's `crypto.timingSafeEqual`: equal lengths or a RangeError, then every byte compared. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const x = toBuffer(a);
  const y = toBuffer(b);
  if (x.length !== y.length) throw Object.assign(new RangeError('Input buffers must have the same byte length'), { code: 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH' });
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
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
export const randomFillSync = unavailable('randomFillSync');
export const randomFill = unavailable('randomFill');
export const getRandomValues = unavailable('getRandomValues');
export const generateKeyPairSync = unavailable('generateKeyPairSync');
export const generateKeyPair = unavailable('generateKeyPair');
export default {
  createHash,
  createHmac,
  getHashes,
  timingSafeEqual,
  X509Certificate,
  randomBytes,
  randomUUID,
  randomInt,
  randomFillSync,
  randomFill,
  getRandomValues,
  generateKeyPairSync,
  generateKeyPair,
};
