/**
 * `parseCollections` reports what Fabric's `validateInput` reports first: `extractStaticCollectionConfigs`
 * refuses an entry that is no static collection config before `validateCollectionConfigs` judges
 * any collection, so a later such entry wins over an earlier collection's bad name.
 */
import { CollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { parseCollections } from '../../../../../core/peer/lifecycle/collections';
import { collectionPackage } from '../../../../support/lifecycle-collections';

describe('parseCollections check order', () => {
  it('refuses a package entry without a static config before judging the collections before it', () => {
    const pkg = collectionPackage({ name: '_bad name' }, { name: 'dup' }, { name: 'dup' });
    pkg.addConfig(new CollectionConfig());
    expect(() => parseCollections(pkg)).toThrow(expect.objectContaining({ code: 'PEER_LIFECYCLE', message: 'collection config contains unexpected payload type: <nil>' }));
  });

  it('then judges the collections in order', () => {
    expect(() => parseCollections(collectionPackage({ name: '_bad' }, { name: 'dup' }, { name: 'dup' }))).toThrow(
      "invalid collection name '_bad'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'",
    );
  });
});
