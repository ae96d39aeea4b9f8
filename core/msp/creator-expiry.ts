import { X509Certificate } from 'node:crypto';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { decodeConfigProto } from '../protocol/config-decode';
import { SerializedIdentitySchema } from '../protocol/config-schemas';

/**
 * When the certificate in a creator's `SerializedIdentity` expires, read straight from the bytes
 * with no MSP (Fabric's `common/crypto.ExpiresAt`): undefined when that cannot be told (bytes that
 * are no SerializedIdentity, id_bytes with no PEM block, a block that is no X.509 certificate), in
 * which case Fabric makes no expiry decision and leaves the identity to the signature filter.
 */
export function creatorExpiresAt(creator: Uint8Array): Date | undefined {
  let idBytes: Uint8Array;
  try {
    idBytes = decodeConfigProto(SerializedIdentity, SerializedIdentitySchema, creator, 'creator').getIdBytes_asU8();
  } catch {
    return undefined;
  }
  const der = firstPemBlock(Buffer.from(idBytes).toString('latin1'));
  if (der === undefined) return undefined;
  try {
    return new Date(new X509Certificate(der).validTo);
  } catch {
    return undefined;
  }
}

/** Creators whose expiry was read lately: a client signs every envelope with the same few bytes. */
const recent = new Map<string, Date | undefined>();
const RECENT_MAX = 1024;

/**
 * {@link creatorExpiresAt}, remembered for the last {@link RECENT_MAX} creators: parsing the
 * certificate costs ~45 µs, which every broadcast would pay again (the MSP's own identity cache
 * is not consulted, as the rule runs before any MSP work).
 */
export function creatorExpiresAtCached(creator: Uint8Array): Date | undefined {
  const key = Buffer.from(creator.buffer, creator.byteOffset, creator.byteLength).toString('latin1');
  if (recent.has(key)) return recent.get(key);
  const expiresAt = creatorExpiresAt(creator);
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value as string);
  recent.set(key, expiresAt);
  return expiresAt;
}

const BEGIN = /(?:^|\n)-----BEGIN ([^\r\n]*)-----\r?\n/g;

/**
 * The DER bytes of the first PEM block of `text`, of whatever type, as Go's `pem.Decode` finds it:
 * a BEGIN line (at the start of a line), optional `Key: value` headers, base64 lines, the matching
 * END line. A candidate that does not parse is skipped for the next, as Go does.
 */
function firstPemBlock(text: string): Buffer | undefined {
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
    const type = m[1];
    if (type.endsWith('-')) continue;
    const bodyStart = m.index + m[0].length;
    const endLine = `-----END ${type}-----`;
    const end = text.indexOf(endLine, bodyStart);
    if (end < 0) continue;
    const lines = text.slice(bodyStart, end).split('\n');
    // Headers, if any, end at the first blank line.
    if (lines.length > 0 && lines[0].includes(':')) {
      const blank = lines.findIndex((l) => l.trim() === '');
      if (blank < 0) continue;
      lines.splice(0, blank + 1);
    }
    const body = lines.join('').replace(/[ \t\r]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) continue;
    return Buffer.from(body, 'base64');
  }
  return undefined;
}
