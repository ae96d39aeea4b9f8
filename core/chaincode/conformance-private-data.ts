/**
 * Conformance: the `private-assets` example (private data collections, implicit org collections,
 * transient data, hash comparison, private range and rich queries, purge) through a runtime plugin
 * (jest globals). Called by {@link runtimeConformance}.
 */
import { describe, expect, test } from '@jest/globals';
import type { ChaincodeMeter, ChaincodeResult } from './chaincode-runtime';

/** One invocation of an installed example, as the suite's harness runs it. */
export type ConformanceCall = (
  packageId: string,
  chaincodeName: string,
  args: string[],
  opts?: {
    commit?: boolean;
    creator?: Uint8Array;
    /** The endorsing peer's MSP id (`stub.getMspID()`); Org1MSP when omitted. */
    mspId?: string;
    txId?: string;
    seconds?: number;
    transient?: Map<string, Uint8Array>;
    metrics?: ChaincodeMeter;
  },
) => Promise<ChaincodeResult & { rwset: Uint8Array }>;

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const transient = (field: string, value: unknown): Map<string, Uint8Array> => new Map([[field, Buffer.from(JSON.stringify(value))]]);

export function privateDataConformance(
  name: string,
  creators: { readonly minter: Uint8Array; readonly org2: Uint8Array },
  ids: { readonly minter: string },
  /** Installs the example around the calling describe block (beforeAll/afterAll). */
  withExample: () => { readonly installed: { readonly id: string }; readonly call: ConformanceCall },
): void {
  describe(`${name}: private-assets (private data collections and transient data)`, () => {
    const { installed, call } = withExample();
    const message = async (fn: string, args: string[], opts: Parameters<ConformanceCall>[3] = {}): Promise<string> =>
      (await call(installed.id, 'private', [fn, ...args], opts)).response.message;
    const payload = async (fn: string, args: string[], opts: Parameters<ConformanceCall>[3] = {}): Promise<string> => {
      const r = await call(installed.id, 'private', [fn, ...args], { commit: false, ...opts });
      expect(r.response).toMatchObject({ status: 200, message: '' });
      return text(r.response.payload);
    };
    const asOrg2 = { creator: creators.org2, mspId: 'Org2MSP' };

    test('CreateAsset takes its values from transient data, checks them, and keeps the appraisal in the org’s implicit collection', async () => {
      expect(await message('CreateAsset', [])).toBe('asset_properties must be passed in the transient map');
      expect(await message('CreateAsset', [], { transient: transient('asset_properties', { assetID: 'asset1', color: 'blue', size: 0, appraisedValue: 100 }) })).toBe(
        'asset_properties.size must be a positive integer',
      );
      const props = { assetID: 'asset1', color: 'blue', size: 5, appraisedValue: 100 };
      expect(await message('CreateAsset', [], { transient: transient('asset_properties', props), creator: creators.org2 })).toBe(
        'client from org Org2MSP is not authorized to read or write private data from an org Org1MSP peer',
      );
      const created = await call(installed.id, 'private', ['CreateAsset'], { transient: transient('asset_properties', props) });
      expect(created.response.status).toBe(200);
      // Transient values never reach the public read/write set, only their hashes.
      expect(Buffer.from(created.rwset).includes(Buffer.from('blue'))).toBe(false);
      expect(await message('CreateAsset', [], { transient: transient('asset_properties', props) })).toBe('this asset already exists: asset1');
      expect(JSON.parse(await payload('ReadAsset', ['asset1']))).toEqual({ objectType: 'asset', assetID: 'asset1', color: 'blue', size: 5, owner: ids.minter });
      expect(JSON.parse(await payload('ReadAssetPrivateDetails', ['_implicit_org_Org1MSP', 'asset1']))).toEqual({ assetID: 'asset1', appraisedValue: 100 });
      expect(await message('ReadAssetPrivateDetails', ['_implicit_org_Org2MSP', 'asset1'], { commit: false })).toBe('asset1 has no private details in _implicit_org_Org2MSP');
    });

    test('a transfer needs the buyer’s agreement at the same value, compared by hash across the two implicit collections', async () => {
      expect(await message('TransferAsset', [], { transient: transient('asset_owner', { assetID: 'asset1', buyerMSP: 'Org2MSP' }) })).toBe(
        'no buyer has agreed to buy asset asset1',
      );
      expect(await message('AgreeToTransfer', [], { ...asOrg2, transient: transient('asset_value', { assetID: 'asset1', appraisedValue: 90 }) })).toBe('');
      const buyer = JSON.parse(await payload('ReadTransferAgreement', ['asset1'])) as { assetID: string; buyerID: string };
      expect(buyer.buyerID).toMatch(/^x509::/);
      expect(buyer.buyerID).not.toBe(ids.minter);
      expect(await message('TransferAsset', [], { transient: transient('asset_owner', { assetID: 'asset1', buyerMSP: 'Org2MSP' }) })).toBe(
        "hash for appraised value of asset1 in the owner's collection does not match the buyer's",
      );
      await call(installed.id, 'private', ['AgreeToTransfer'], { ...asOrg2, transient: transient('asset_value', { assetID: 'asset1', appraisedValue: 100 }) });
      expect(await message('TransferAsset', [], { ...asOrg2, transient: transient('asset_owner', { assetID: 'asset1', buyerMSP: 'Org1MSP' }) })).toBe(
        'submitting client is not the owner of asset asset1',
      );
      const transfer = await call(installed.id, 'private', ['TransferAsset'], { transient: transient('asset_owner', { assetID: 'asset1', buyerMSP: 'Org2MSP' }) });
      expect(transfer.response).toMatchObject({ status: 200, message: '' });
      expect((JSON.parse(await payload('ReadAsset', ['asset1'])) as { owner: string }).owner).toBe(buyer.buyerID);
      expect(await message('ReadAssetPrivateDetails', ['_implicit_org_Org1MSP', 'asset1'], { commit: false })).toBe('asset1 has no private details in _implicit_org_Org1MSP');
      expect(await message('ReadTransferAgreement', ['asset1'], { commit: false })).toBe('no transfer agreement for asset1');
    });

    test('range and rich queries over a collection; delete and purge by the owner only', async () => {
      const props = { assetID: 'asset2', color: 'red', size: 3, appraisedValue: 50 };
      expect((await call(installed.id, 'private', ['CreateAsset'], { transient: transient('asset_properties', props) })).response.status).toBe(200);
      const ids2 = (JSON.parse(await payload('GetAssetByRange', ['', ''])) as { assetID: string }[]).map((a) => a.assetID);
      expect(ids2).toEqual(['asset1', 'asset2']);
      expect((JSON.parse(await payload('QueryAssetByOwner', [ids.minter])) as { assetID: string }[]).map((a) => a.assetID)).toEqual(['asset2']);
      expect(await message('DeleteAsset', [], { transient: transient('asset_delete', { assetID: 'asset1' }) })).toBe('submitting client is not the owner of asset asset1');
      expect(await message('PurgeAsset', [], { transient: transient('asset_purge', { assetID: 'asset2' }) })).toBe('');
      expect(await message('ReadAsset', ['asset2'], { commit: false })).toBe('asset2 does not exist');
      expect(await message('DeleteAsset', [], { ...asOrg2, transient: transient('asset_delete', { assetID: 'asset1' }) })).toBe('');
      expect(JSON.parse(await payload('GetAssetByRange', ['', '']))).toEqual([]);
    });
  });
}
