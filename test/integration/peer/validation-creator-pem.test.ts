import * as fs from 'node:fs';
import * as path from 'node:path';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { Signer } from '../../../core/protocol/signer';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset } from './channel-harness';
import { type Material, generateMaterial, tmpDir } from './network-fixture';

const codeName = (c: number): string => Object.entries(TxValidationCode).find(([, v]) => v === c)?.[0] ?? String(c);

/** The same key and certificate, with `id_bytes` rewritten (the signer's signatures stay valid). */
function repem(signer: Signer, edit: (pem: string) => string): Signer {
  const sid = SerializedIdentity.deserializeBinary(signer.serialized);
  const out = new SerializedIdentity();
  out.setMspid(sid.getMspid());
  out.setIdBytes(Buffer.from(edit(Buffer.from(sid.getIdBytes_asU8()).toString('latin1')), 'latin1'));
  return { serialized: out.serializeBinary(), sign: (m: Uint8Array) => signer.sign(m) };
}

/** Appends `extra` to the DER inside the PEM block. */
function derWithTrailer(pem: string, extra: Buffer): string {
  const body = /-----BEGIN CERTIFICATE-----\n([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? '';
  const der = Buffer.concat([Buffer.from(body.replace(/\s+/g, ''), 'base64'), extra]);
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Fabric's committer reads creator and endorser certificates with Go's pem.Decode and
 * x509.ParseCertificate (msp/mspimpl.go deserializeIdentityInternal), not with gossip's strict
 * IsWellFormed: what those accept must validate here too, or Weft and Fabric peers fork.
 */
describe('creator and endorser identities are read as Fabric reads them (protobuf-go, pem.Decode, x509.ParseCertificate)', () => {
  let dir: string;
  let m: Material;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-validation-pem-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
    const def = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc') }).envelope;
    expect(await commitBlock(h, [def])).toEqual([TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts leading text, trailing data, any block type and PEM headers, and refuses what Go refuses', async () => {
    const user = h.users[0];
    const creators: Record<string, [Signer, number]> = {
      plain: [user, TxValidationCode.VALID],
      trailingComment: [repem(user, (p) => `${p}# issued for alice\n`), TxValidationCode.VALID],
      leadingText: [repem(user, (p) => `alice's certificate\n${p}`), TxValidationCode.VALID],
      otherBlockType: [repem(user, (p) => p.replace(/CERTIFICATE-----/g, 'X509 CERTIFICATE-----')), TxValidationCode.VALID],
      secondBlock: [repem(user, (p) => `${p}${p}`), TxValidationCode.VALID],
      headers: [repem(user, (p) => p.replace('-----\n', '-----\nComment: alice\n\n')), TxValidationCode.VALID],
      crlfIndented: [repem(user, (p) => p.replace(/\n(?!-)/g, '\r\n  ')), TxValidationCode.VALID],
      brokenFirstBlock: [repem(user, (p) => `-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n${p}`), TxValidationCode.VALID],
      // pem.Decode needs BEGIN at the start or after a newline; x509.ParseCertificate refuses trailing DER.
      textBeforeBegin: [repem(user, (p) => `alice${p}`), TxValidationCode.BAD_CREATOR_SIGNATURE],
      derTrailer: [repem(user, (p) => derWithTrailer(p, Buffer.from([0]))), TxValidationCode.BAD_CREATOR_SIGNATURE],
      mismatchedEnd: [repem(user, (p) => p.replace('END CERTIFICATE', 'END CERT')), TxValidationCode.BAD_CREATOR_SIGNATURE],
    };
    const names = Object.keys(creators);
    const envelopes = names.map((n) => endorsedTx({ creator: creators[n][0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { [n]: Buffer.from('1') } }) }).envelope);
    const flags = await commitBlock(h, envelopes);
    expect(Object.fromEntries(names.map((n, i) => [n, codeName(flags[i])]))).toEqual(Object.fromEntries(names.map((n) => [n, codeName(creators[n][1])])));
  });

  it('counts an endorsement whose certificate carries text after its PEM block', async () => {
    const org2 = repem(h.peers[1], (p) => `${p}# peer0.org2\n`);
    const tx = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0], org2], chaincode: 'cc', results: rwset({ cc: { endorsedWithComment: Buffer.from('1') } }) });
    expect((await commitBlock(h, [tx.envelope])).map(codeName)).toEqual(['VALID']);
  });

  it('decodes the creator SerializedIdentity as protobuf-go: an unknown-typed field is skipped, a huge field number fails', async () => {
    const user = h.users[0];
    const withTail = (tail: number[]): Signer => ({ serialized: Uint8Array.from([...user.serialized, ...tail]), sign: (m: Uint8Array) => user.sign(m) });
    const creators: Record<string, [Signer, number]> = {
      // mspid (field 1) once more, as a varint: protobuf-go keeps it as an unknown field.
      mspidWrongWire: [withTail([0x08, 0x05]), TxValidationCode.VALID],
      emptyGroup: [withTail([0x7b, 0x7c]), TxValidationCode.VALID],
      fieldNumberTooLarge: [withTail([0x80, 0x80, 0x80, 0x80, 0x10, 0x00]), TxValidationCode.BAD_CREATOR_SIGNATURE],
      varintOverflow: [withTail([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), TxValidationCode.BAD_CREATOR_SIGNATURE],
    };
    const names = Object.keys(creators);
    const envelopes = names.map((n) => endorsedTx({ creator: creators[n][0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { [n]: Buffer.from('1') } }) }).envelope);
    const flags = await commitBlock(h, envelopes);
    expect(Object.fromEntries(names.map((n, i) => [n, codeName(flags[i])]))).toEqual(Object.fromEntries(names.map((n) => [n, codeName(creators[n][1])])));
  });
});
