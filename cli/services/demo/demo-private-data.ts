import * as path from 'node:path';
import type { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { loadCollectionsConfig } from '../chaincode/collections-config';
import { deployChaincode } from '../chaincode/deploy';
import type { NetworkLayout } from '../network/network-layout';
import { weftRoot } from '../repo-root';
import { committedEverywhere } from './committed-everywhere';

type Step = (name: string, fn: () => Promise<string>) => Promise<string>;

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');


/**
 * The demo's private data part: the `private-assets` example, deployed with its collections so
 * that each org's peer endorses alone, then an asset created on Org1's peer is read on Org2's
 * (which holds it because Org1's peer pushed it), agreed on by Org2 and transferred by Org1, the
 * two orgs' appraisals compared by hash. Values travel as transient data only.
 */
export async function privateDataSteps(
  layout: NetworkLayout,
  step: Step,
  gateways: readonly Gateway[],
  contracts: (name: string) => [Contract, Contract],
): Promise<void> {
  const submit = async (contract: Contract, fn: string, transient: Record<string, Uint8Array>): Promise<string> => {
    const tx = await contract.submitAsync(fn, { transientData: transient });
    return `committed in block ${(await committedEverywhere(tx, gateways, fn)).blockNumber}`;
  };
  const example = path.join(weftRoot(), 'chaincode-examples', 'private-assets');
  const [org1, org2] = layout.spec.orgs.map((o) => o.mspId);
  await step('deploy private-assets as "private" (collections, each org endorses alone)', async () => {
    const r = await deployChaincode(
      layout,
      example,
      {
        name: 'private',
        version: '1.0',
        initRequired: false,
        policy: `OR('${org1}.peer', '${org2}.peer')`,
        collections: loadCollectionsConfig(path.join(example, 'collections_config.json')),
      },
      () => {},
    );
    return `${r.packageId}, sequence ${r.sequence}, on ${r.installedOn.length} peers`;
  });
  const [c1, c2] = contracts('private');
  await step('Org1 User1 CreateAsset passet1 (values as transient data)', () =>
    submit(c1, 'CreateAsset', { asset_properties: json({ assetID: 'passet1', color: 'green', size: 3, appraisedValue: 500 }) }),
  );
  await step("ReadAsset passet1 on Org2's peer, which did not endorse", async () => text(await c2.evaluate('ReadAsset', { arguments: ['passet1'] })));
  await step('Org2 User1 AgreeToTransfer passet1 at 500', () => submit(c2, 'AgreeToTransfer', { asset_value: json({ assetID: 'passet1', appraisedValue: 500 }) }));
  await step('Org1 User1 TransferAsset passet1 to Org2 (appraisals compared by hash)', () =>
    submit(c1, 'TransferAsset', { asset_owner: json({ assetID: 'passet1', buyerMSP: org2 }) }),
  );
  await step('ReadAsset passet1 (from Org2)', async () => text(await c2.evaluate('ReadAsset', { arguments: ['passet1'] })));
}
