/**
 * fabric-shim's `KeyEndorsementPolicy` (state-based endorsement): an N-of-N `SignaturePolicyEnvelope`
 * of `SignedBy` rules over MSP roles, encoded by hand (the sandbox carries no protobuf library).
 */
import { Buffer } from 'buffer';

const ROLES: Record<string, number> = { MEMBER: 0, ADMIN: 1, CLIENT: 2, PEER: 3 };
const ROLE_NAMES = Object.fromEntries(Object.entries(ROLES).map(([k, v]) => [v, k])) as Record<number, string>;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
function field(num: number, wire: number): number[] {
  return varint((num << 3) | wire);
}
function bytesField(num: number, data: number[]): number[] {
  return [...field(num, 2), ...varint(data.length), ...data];
}
function intField(num: number, value: number): number[] {
  return [...field(num, 0), ...varint(value)];
}

interface Reader {
  buf: Uint8Array;
  pos: number;
}
function readVarint(r: Reader): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (r.pos >= r.buf.length) throw new Error('truncated varint in endorsement policy');
    const b = r.buf[r.pos++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
}
function readFields(buf: Uint8Array): [number, number | Uint8Array][] {
  const r: Reader = { buf, pos: 0 };
  const out: [number, number | Uint8Array][] = [];
  while (r.pos < buf.length) {
    const key = readVarint(r);
    const wire = key & 7;
    if (wire === 0) out.push([key >>> 3, readVarint(r)]);
    else if (wire === 2) {
      const len = readVarint(r);
      out.push([key >>> 3, buf.subarray(r.pos, r.pos + len)]);
      r.pos += len;
    } else throw new Error(`unsupported wire type ${wire} in endorsement policy`);
  }
  return out;
}

export class KeyEndorsementPolicy {
  private orgs: Record<string, number> = {};

  constructor(policy?: Uint8Array) {
    if (policy && policy.length > 0) {
      for (const [num, val] of readFields(policy)) {
        if (num !== 3 || typeof val === 'number') continue;
        let classification = 0;
        let principal: Uint8Array | undefined;
        for (const [n, v] of readFields(val)) {
          if (n === 1 && typeof v === 'number') classification = v;
          if (n === 2 && typeof v !== 'number') principal = v;
        }
        if (classification !== 0 || principal === undefined) throw new Error('Invalid policy: principal is not a role');
        let msp = '';
        let role = 0;
        for (const [n, v] of readFields(principal)) {
          if (n === 1 && typeof v !== 'number') msp = Buffer.from(v).toString('utf8');
          if (n === 2 && typeof v === 'number') role = v;
        }
        this.orgs[msp] = role;
      }
    }
  }

  getPolicy(): Buffer {
    const mspIds = this.listOrgs().sort();
    const rules = mspIds.map((_, i) => bytesField(2, intField(1, i)));
    // proto3 leaves out n = 0 (no orgs), as fabric-shim's encoder does; signed_by sits in a oneof, so its 0 stays.
    const nOutOf = [...(mspIds.length > 0 ? intField(1, mspIds.length) : []), ...rules.flat()];
    const rule = bytesField(2, nOutOf);
    const identities = mspIds.map((msp) => {
      const role = [...bytesField(1, [...Buffer.from(msp, 'utf8')]), ...(this.orgs[msp] ? intField(2, this.orgs[msp]) : [])];
      return bytesField(3, bytesField(2, role));
    });
    return Buffer.from([...bytesField(2, rule), ...identities.flat()]);
  }

  addOrgs(role: string, ...neworgs: string[]): void {
    const r = ROLES[role];
    if (r === undefined || (role !== 'MEMBER' && role !== 'PEER')) throw new Error(`role type ${role} does not exist`);
    for (const org of neworgs) this.orgs[org] = r;
  }

  delOrgs(...delorgs: string[]): void {
    for (const org of delorgs) delete this.orgs[org];
  }

  listOrgs(): string[] {
    return Object.keys(this.orgs);
  }

  /** Role name per org (for diagnostics). */
  roleOf(org: string): string | undefined {
    const r = this.orgs[org];
    return r === undefined ? undefined : ROLE_NAMES[r];
  }
}
