/**
 * A channel upgraded from Fabric v1.x may have no `/Channel/Application/LifecycleEndorsement`
 * policy. Fabric's validator then takes `_lifecycle`'s writes under a default
 * (`LifecycleEndorsementPolicyAsBytes`): a signature from a member of a majority of the
 * application orgs. A Weft peer must judge those transactions the same, or the channel forks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Block, Envelope, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { newBlock } from '../../../core/protocol/block';
import { type Harness, definitionWrites, endorsedTx, openHarness } from './channel-harness';
import { commitLifecycle } from './lifecycle-harness';
import { generateMaterial, genesisBlock, tmpDir } from './network-fixture';

/** The harness's genesis block without the Application group's `LifecycleEndorsement` policy. */
function withoutLifecycleEndorsement(genesis: Uint8Array): Uint8Array {
  const block = Block.deserializeBinary(genesis);
  const env = Envelope.deserializeBinary(block.getData()?.getDataList_asU8()[0] as Uint8Array);
  const payload = Payload.deserializeBinary(env.getPayload_asU8());
  const configEnvelope = ConfigEnvelope.deserializeBinary(payload.getData_asU8());
  const app = configEnvelope.getConfig()?.getChannelGroup()?.getGroupsMap().get('Application');
  expect(app?.getPoliciesMap().del('LifecycleEndorsement')).toBe(true);
  payload.setData(configEnvelope.serializeBinary());
  env.setPayload(payload.serializeBinary());
  const rebuilt = newBlock(0, new Uint8Array(0), [env.serializeBinary()]);
  rebuilt.setMetadata(block.getMetadata());
  return rebuilt.serializeBinary();
}

describe('_lifecycle on a channel without a LifecycleEndorsement policy', () => {
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-lifecycle-endorsement-default-');
    const m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'), withoutLifecycleEndorsement(genesisBlock(m, 7050)));
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("takes a definition signed by members of a majority of the orgs (Fabric's default), not by one org", async () => {
    const define = (name: string, endorsers: Harness['peers'][number][]) => ({
      ...endorsedTx({ creator: h.users[0], endorsers, chaincode: '_lifecycle', results: definitionWrites(name) }),
      pvt: undefined,
    });
    expect(h.joined.channel.resources().policies.getPolicy('/Channel/Application/LifecycleEndorsement')).toBeUndefined();
    expect(await commitLifecycle(h, [define('one', [h.peers[0]]), define('peers', [...h.peers]), define('clients', [...h.users])])).toEqual([
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.VALID,
      // Members, not peers: the default names the MEMBER role.
      TxValidationCode.VALID,
    ]);
  });
});
