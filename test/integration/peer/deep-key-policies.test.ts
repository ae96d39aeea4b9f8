/**
 * Key-level endorsement policies nested thousands of gates deep, through the committer: a chaincode
 * may store any policy bytes with `SetStateValidationParameter`, and Fabric's validator evaluates a
 * policy of up to 4998 gates over a leaf (protobuf-go's 10000-message limit, met once the policy is
 * wrapped in an `ApplicationPolicy`). Weft refused more than 128 gates, failing transactions every
 * Fabric peer of the channel commits as valid.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KVMetadataEntry, KVMetadataWrite, KVRWSet, KVWrite } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { rolePrincipal } from '../../../core/policy';
import { deepSignaturePolicy } from '../../../core/policy/conformance-deep-policy';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset, nsRwset, txRwset } from './channel-harness';
import { type Material, generateMaterial, tmpDir } from './network-fixture';

const b = (s: string): Uint8Array => Buffer.from(s);

/** Writes `key` of `cc` and sets its key-level endorsement policy to `policy`. */
function keyPolicyWrite(key: string, policy: Uint8Array): Uint8Array {
  const entry = new KVMetadataEntry();
  entry.setName('VALIDATION_PARAMETER');
  entry.setValue(policy);
  const meta = new KVMetadataWrite();
  meta.setKey(key);
  meta.setEntriesList([entry]);
  const write = new KVWrite();
  write.setKey(key);
  write.setValue(b('guarded'));
  const kv = new KVRWSet();
  kv.setWritesList([write]);
  kv.setMetadataWritesList([meta]);
  return txRwset(nsRwset('cc', kv));
}

describe('key-level endorsement policies thousands of gates deep', () => {
  let dir: string;
  let m: Material;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-deep-key-policies-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
    const definition = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc') });
    expect(await commitBlock(h, [definition.envelope])).toEqual([TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("validates writes under them with Fabric's codes: 4998 gates evaluated, 4999 an unusable policy", async () => {
    const org1 = rolePrincipal('Org1MSP', 'member').serializeBinary();
    const guards = [
      keyPolicyWrite('deep4998', deepSignaturePolicy(4998, org1)),
      keyPolicyWrite('deep4999', deepSignaturePolicy(4999, org1)),
      keyPolicyWrite('open4999', deepSignaturePolicy(4999, org1, { emptyInnermost: true })),
    ].map((results) => endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results }).envelope);
    expect(await commitBlock(h, guards)).toEqual([TxValidationCode.VALID, TxValidationCode.VALID, TxValidationCode.VALID]);

    const writeBy = (key: string, org: 0 | 1): Uint8Array =>
      endorsedTx({ creator: h.users[org], endorsers: [h.peers[org]], chaincode: 'cc', results: rwset({ cc: { [key]: b(`by org${org + 1}`) } }) }).envelope;
    const codes = await commitBlock(h, [writeBy('deep4998', 0), writeBy('deep4998', 1), writeBy('deep4999', 0), writeBy('open4999', 1)]);
    expect(codes).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.VALID,
    ]);
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'deep4998')?.value ?? []).toString()).toBe('by org1');
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'deep4999')?.value ?? []).toString()).toBe('guarded');
  }, 60_000);
});
