import { goMarshalCollectionPackage } from '../../../../../core/peer/lifecycle/collection-go-marshal';
import { decodeCollectionPackage, encodeApprovedCollectionPackage, encodeCollectionPackage } from '../../../../../core/peer/lifecycle/collection-wire';
import { collectionPackage } from '../../../../support/lifecycle-collections';

/** Hand encoding, independent of the code under test. */
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const vf = (field: number, n: number | bigint): number[] => [...varint(field * 8), ...varint(n)];
const lf = (field: number, content: number[]): number[] => [...varint(field * 8 + 2), ...varint(content.length), ...content];
const str = (s: string): number[] => [...Buffer.from(s)];
const bytes = (a: number[]): Uint8Array => Uint8Array.from(a);

/** A package of one config holding `staticFields` (StaticCollectionConfig's bytes). */
const pkgOf = (staticFields: number[]): number[] => lf(1, lf(1, staticFields));
/** OR('Org1MSP.member') as an envelope's bytes: version 0, rule NOutOf(1, [signed_by 0]), one ROLE principal (classification 0, omitted). */
const principal = lf(3, lf(2, lf(1, str('Org1MSP'))));
const envelope = [...lf(2, lf(2, [...vf(1, 1), ...lf(2, vf(1, 0))])), ...principal];

describe('goMarshalCollectionPackage: a collection package as protobuf-go re-marshals it', () => {
  it('gives a canonical package without unknown fields back unchanged (google-protobuf writes the same)', () => {
    const pkg = collectionPackage({ name: 'secrets', blockToLive: 3, endorsement: "OR('Org1MSP.member')" }, { name: 'more', requiredPeerCount: 1, maximumPeerCount: 2 });
    const b = pkg.serializeBinary();
    expect(goMarshalCollectionPackage(b, true)).toEqual(b);
    expect(encodeCollectionPackage(decodeCollectionPackage(b, 'pkg'))).toEqual(b);
  });

  it('keeps unknown fields at every level after the known ones, orders known fields, takes the last scalar and merges a repeated message', () => {
    const input = pkgOf([
      ...vf(6, 1), // member_only_read
      ...lf(1, str('first')),
      ...vf(99, 7), // unknown
      ...lf(2, lf(1, [...lf(2, lf(2, [...vf(1, 1), ...lf(2, vf(1, 0))]))])), // member_orgs_policy: the rule…
      ...lf(1, str('secrets')), // the last name wins
      ...lf(2, lf(1, [...principal, ...vf(50, 2)])), // …merged with its principal, and an unknown field of the envelope
      ...vf(3, 0xffffffff), // required_peer_count: int32 -1 in 5 bytes
    ]);
    const expected = pkgOf([
      ...lf(1, str('secrets')),
      ...lf(2, lf(1, [...envelope, ...vf(50, 2)])),
      ...vf(3, -1), // sign-extended to 10 bytes
      ...vf(6, 1),
      ...vf(99, 7),
    ]);
    expect(goMarshalCollectionPackage(bytes(input), true)).toEqual(bytes(expected));
    expect(encodeCollectionPackage(decodeCollectionPackage(bytes(input), 'pkg'))).toEqual(bytes(expected));
  });

  it("writes a oneof's last member, even when zero, and a known field of another wire type as unknown", () => {
    // signed_by 5, then n_out_of, then signed_by 0: the oneof holds signed_by 0 alone.
    const rule = [...vf(1, 5), ...lf(2, vf(1, 1)), ...vf(1, 0)];
    const input = pkgOf([...lf(1, str('c')), ...lf(2, lf(1, [...lf(2, rule), ...principal])), ...lf(5, [1])]);
    const expected = pkgOf([...lf(1, str('c')), ...lf(2, lf(1, [...lf(2, vf(1, 0)), ...principal])), ...lf(5, [1])]);
    expect(goMarshalCollectionPackage(bytes(input), true)).toEqual(bytes(expected));
  });

  it("drops only the package's own unknown fields for an approval (Fabric stores a new package of the configs)", () => {
    const inner = [...lf(1, str('c')), ...vf(77, 1)];
    const input = bytes([...pkgOf(inner), ...vf(9, 1)]);
    expect(goMarshalCollectionPackage(input, false)).toEqual(bytes(pkgOf(inner)));
    const pkg = decodeCollectionPackage(input, 'pkg');
    expect(encodeApprovedCollectionPackage(pkg)).toEqual(bytes(pkgOf(inner)));
    expect(encodeCollectionPackage(pkg)).toEqual(input);
  });

  it('re-marshals a member orgs policy nested 5,000 gates deep without recursion', () => {
    // SignaturePolicy{n_out_of: NOutOf{n: 1, rules: [inner]}}, built inside out.
    let rule: Uint8Array = bytes(vf(1, 0));
    for (let i = 0; i < 5000; i++) {
      const gate = Buffer.concat([bytes(vf(1, 1)), bytes(lf(2, [])).subarray(0, 1), bytes(varint(rule.length)), rule]);
      rule = Buffer.concat([bytes([0x12, ...varint(gate.length)]), gate]);
    }
    const envelopeBytes = Buffer.concat([bytes([0x12, ...varint(rule.length)]), rule, bytes(principal)]);
    const policyConfig = Buffer.concat([bytes([0x0a, ...varint(envelopeBytes.length)]), envelopeBytes]);
    const staticBytes = Buffer.concat([bytes(lf(1, str('deep'))), bytes([0x12, ...varint(policyConfig.length)]), policyConfig]);
    const config = Buffer.concat([bytes([0x0a, ...varint(staticBytes.length)]), staticBytes]);
    const deep = Buffer.concat([bytes([0x0a, ...varint(config.length)]), config]);
    expect(Buffer.from(goMarshalCollectionPackage(deep, true)).equals(deep)).toBe(true);
  });
});
