import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { rolePrincipal } from '../../../../../core/policy';
import { comparable, mergePolicies } from '../../../../../core/peer/discovery/principal-merge';
import { pkiIdOf } from '../../../../../core/peer/discovery/gossip-messages';
import { serializeIdentity } from '../../../../../core/protocol/serialized-identity';
import { cat, len, vint } from '../../../../support/raw-protobuf';

/*
 * Discovery compares principals as Fabric's `inquire.NewComparablePrincipal` does
 * (common/policies/inquire/compare.go:36, `ToRole`/`ToOURole`/`ToIdentity` at :100-150): it decodes
 * the principal's bytes with protobuf-go's `proto.Unmarshal` and gives up on the principal (nil:
 * the whole principal set fails, "failed creating a comparable principal set") when that fails.
 * protobuf-go (internal/impl, vendored in Fabric) refuses a proto3 `string` that is not UTF-8
 * (codec_gen.go `consumeStringValidateUTF8`), skips a known field with another wire type as an
 * unknown field (decode.go:176-226), and keeps the last occurrence of a scalar field.
 * google-protobuf, which Weft used, read the invalid string (dropping the bad bytes) and threw on
 * the wire type: the opposite outcome in both cases.
 */

const principal = (classification: MSPPrincipal.ClassificationMap[keyof MSPPrincipal.ClassificationMap], bytes: Uint8Array): MSPPrincipal => {
  const p = new MSPPrincipal();
  p.setPrincipalClassification(classification);
  p.setPrincipal(bytes);
  return p;
};
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const C = MSPPrincipal.Classification;

describe('principals compared as protobuf-go decodes them', () => {
  it('refuses a role principal whose MSP id is not UTF-8, failing the merge as Fabric does', () => {
    const bad = principal(C.ROLE, cat(len(1, Uint8Array.of(0x4f, 0xff, 0x31)), vint(2, MSPRole.MSPRoleType.PEER)));
    expect(comparable(bad)).toBeUndefined();
    expect(() => mergePolicies([[[bad]], [[rolePrincipal('Org1MSP', 'peer')]]])).toThrow('failed creating a comparable principal set');
  });

  it('refuses invalid UTF-8 in an OU principal and in an identity principal', () => {
    expect(comparable(principal(C.ORGANIZATION_UNIT, cat(len(1, text('Org1MSP')), len(2, Uint8Array.of(0xc3)))))).toBeUndefined();
    expect(comparable(principal(C.IDENTITY, cat(len(1, Uint8Array.of(0xe2, 0x82)), len(2, text('cert')))))).toBeUndefined();
  });

  it('skips a known field with another wire type and reads the rest', () => {
    // role as bytes (unknown: role stays MEMBER), msp id as a varint (unknown), then the real msp id.
    const role = comparable(principal(C.ROLE, cat(len(2, Uint8Array.of(2)), vint(1, 7), len(1, text('Org1MSP')))));
    expect(role).toMatchObject({ mspId: 'Org1MSP', role: MSPRole.MSPRoleType.MEMBER });
    const ou = comparable(principal(C.ORGANIZATION_UNIT, cat(vint(2, 1), len(1, text('Org2MSP')), len(2, text('clients')), vint(3, 9))));
    expect(ou).toMatchObject({ mspId: 'Org2MSP', ou: { id: 'clients', certifiers: new Uint8Array(0) } });
    const id = comparable(principal(C.IDENTITY, cat(vint(1, 3), len(1, text('Org3MSP')), len(2, text('cert')))));
    expect(id).toMatchObject({ mspId: 'Org3MSP', idBytes: text('cert') });
  });

  it('reads the last occurrence of a repeated field and merges with a well-formed principal as its equal', () => {
    const crafted = principal(C.ROLE, cat(len(1, text('Org9MSP')), vint(2, MSPRole.MSPRoleType.ADMIN), len(1, text('Org1MSP')), vint(2, MSPRole.MSPRoleType.MEMBER)));
    expect(comparable(crafted)).toMatchObject({ mspId: 'Org1MSP', role: MSPRole.MSPRoleType.MEMBER });
    // Org1.peer is an Org1.member: the merged sets need only the peer.
    const merged = mergePolicies([[[crafted]], [[rolePrincipal('Org1MSP', 'peer')]]]);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toHaveLength(1);
    expect(MSPRole.deserializeBinary(merged[0][0].getPrincipal_asU8()).getRole()).toBe(MSPRole.MSPRoleType.PEER);
  });
});

/*
 * A peer's PKI-ID, which discovery answers carry and membership keys peers by, is Fabric's
 * `GetPKIidOfCert` (internal/peer/gossip/mcs.go:93-120): SHA-256(mspid ‖ id_bytes) of the identity
 * as the MSP deserializer decodes it with protobuf-go; no PKI-ID when it does not decode.
 */
describe('PKI-IDs of identities decoded as protobuf-go decodes them', () => {
  const cert = text('-----BEGIN CERTIFICATE-----');

  it('skips a known field with another wire type: the same PKI-ID as the plain identity', () => {
    const plain = pkiIdOf(serializeIdentity('Org1MSP', cert));
    expect(pkiIdOf(cat(vint(1, 4), len(1, text('Org1MSP')), vint(2, 1), len(2, cert)))).toEqual(plain);
  });

  it('refuses an MSP id that is not UTF-8', () => {
    expect(() => pkiIdOf(cat(len(1, Uint8Array.of(0x4f, 0x80)), len(2, cert)))).toThrow('UTF-8');
  });
});
