import { QueryChaincodeDefinitionsResult } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { describe, expect, it } from '@jest/globals';
import { parseCollectionsConfig } from '../../../../cli/services/chaincode/collections-config';
import { committedDefinitionsOf, validationParameter, type CommittedDefinition } from '../../../../cli/services/chaincode/lifecycle';
import { checkAgainstCommitted } from '../../../../cli/services/chaincode/upgrade-checks';

const collection = (name: string) => ({ name, policy: "OR('Org1MSP.member','Org2MSP.member')", requiredPeerCount: 0, maxPeerCount: 1, blockToLive: 0, memberOnlyRead: true });
const collections = (...names: string[]) => parseCollectionsConfig(names.map(collection), 'collections.json');

/** A committed definition as `_lifecycle` answers it (QueryChaincodeDefinitions), decoded as query-committed decodes it. */
function committed(policy: string | undefined, ...collectionNames: string[]): CommittedDefinition {
  const result = new QueryChaincodeDefinitionsResult();
  const d = new QueryChaincodeDefinitionsResult.ChaincodeDefinition();
  d.setName('assets');
  d.setVersion('2.0');
  d.setSequence(2);
  d.setValidationParameter(validationParameter(policy));
  if (collectionNames.length > 0) d.setCollections(collections(...collectionNames));
  result.addChaincodeDefinitions(d);
  return committedDefinitionsOf(result.serializeBinary())[0]!;
}

/**
 * An operator's second deploy of a chaincode (`weft chaincode deploy ./net ./my-assets --name assets
 * --version 3.0`) repeated neither `--policy` nor `--collections-config`: the AND policy of sequence 2
 * silently became the channel's default, and a chaincode with a collection failed only at approval,
 * after installing on every peer, with "the proposed collection config does not contain previously
 * defined collections" and the advice to check the function name.
 */
describe('deploy of a new definition of a committed chaincode', () => {
  it('refuses one that drops a committed collection, naming it, before anything is installed', () => {
    const withSecrets = committed(undefined, 'secrets', 'audit');
    const check = (given?: string[]) => () => checkAgainstCommitted(withSecrets, { name: 'assets', ...(given ? { collections: collections(...given) } : {}) }, './net');
    expect(check()).toThrow(
      expect.objectContaining({
        code: 'COLLECTIONS_DROPPED',
        message:
          "assets's committed definition (version 2.0, sequence 2) has the private data collections secrets, audit, which this definition would drop (no --collections-config was given): Fabric refuses a definition that removes a collection",
        details: expect.objectContaining({ field: '--collections-config', dropped: ['secrets', 'audit'], suggestions: expect.arrayContaining(['see the committed collections: weft chaincode query-committed ./net --name assets --json']) }),
      }),
    );
    expect(check(['secrets', 'extra'])).toThrow(expect.objectContaining({ code: 'COLLECTIONS_DROPPED', details: expect.objectContaining({ dropped: ['audit'] }), message: expect.stringContaining('the --collections-config file leaves out') }));
    expect(check(['audit', 'secrets', 'extra'])()).toEqual([]);
  });

  it('warns when leaving out --policy replaces a committed policy with the default, giving the flag that keeps it', () => {
    expect(checkAgainstCommitted(committed("AND('Org1MSP.peer','Org2MSP.peer')"), { name: 'assets' }, './net')).toEqual([
      "assets's committed definition (version 2.0, sequence 2) has the endorsement policy AND('Org1MSP.peer', 'Org2MSP.peer'); without --policy this one gets the channel's default (/Channel/Application/Endorsement): to keep it, pass --policy \"AND('Org1MSP.peer', 'Org2MSP.peer')\"",
    ]);
    expect(checkAgainstCommitted(committed('/Channel/Application/Org1Only'), { name: 'assets' }, './net')).toEqual([expect.stringContaining('to keep it, pass --policy "/Channel/Application/Org1Only"')]);
    // Given, or the default both times, or nothing committed yet: nothing to say.
    expect(checkAgainstCommitted(committed("AND('Org1MSP.peer','Org2MSP.peer')"), { name: 'assets', policy: "OR('Org1MSP.peer','Org2MSP.peer')" }, './net')).toEqual([]);
    expect(checkAgainstCommitted(committed(undefined), { name: 'assets' }, './net')).toEqual([]);
    expect(checkAgainstCommitted(undefined, { name: 'assets' }, './net')).toEqual([]);
  });
});
