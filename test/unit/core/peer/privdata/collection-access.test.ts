import { CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChaincodeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { definitionOf } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { CollectionCheckedSimulator } from '../../../../../core/peer/privdata/collection-access';
import { collectionPackage } from '../../../../support/lifecycle-collections';
import { MemoryWorld } from '../../chaincode/memory-simulator';

function definition(): ChaincodeDefinition {
  const args = new CommitChaincodeDefinitionArgs();
  args.setName('cc');
  args.setVersion('1.0');
  args.setSequence(1);
  args.setCollections(
    collectionPackage(
      { name: 'readers', policy: "OR('Org1MSP.member')", memberOnlyRead: true, memberOnlyWrite: false },
      { name: 'writers', policy: "OR('Org1MSP.member')", memberOnlyRead: false, memberOnlyWrite: true },
    ),
  );
  return definitionOf(args);
}

function checkedFor(creatorMspId: string, purgeEnabled = true): CollectionCheckedSimulator {
  const def = definition();
  return new CollectionCheckedSimulator(new MemoryWorld().simulator(), {
    channelId: 'ch1',
    creatorMspId,
    isMember: (c) => c.memberMspIds.includes(creatorMspId),
    definition: (cc) => (cc === 'cc' ? def : undefined),
    purgeEnabled,
  });
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('CollectionCheckedSimulator', () => {
  it('lets a member org’s client read and write every collection', () => {
    const sim = checkedFor('Org1MSP');
    sim.setPrivateData('cc', 'readers', 'k', Buffer.from('v'));
    sim.setPrivateData('cc', 'writers', 'k', Buffer.from('v'));
    expect(sim.getPrivateData('cc', 'readers', 'k')).toBeUndefined();
  });

  it('refuses a purge below application capability V2_5 before any collection check, in Fabric\'s words', () => {
    const sim = checkedFor('Org1MSP', false);
    const refusal = 'purge private data is not enabled, channel application capability of V2_5 or later is required';
    expect(messageOf(() => sim.purgePrivateData('cc', 'writers', 'k'))).toBe(refusal);
    expect(messageOf(() => sim.purgePrivateData('cc', 'nosuch', 'k'))).toBe(refusal);
    expect(messageOf(() => checkedFor('Org1MSP').purgePrivateData('cc', 'writers', 'k'))).toBe('');
  });

  it('refuses reads of a member-only-read collection, and writes of a member-only-write one, to other orgs’ clients', () => {
    const sim = checkedFor('Org2MSP');
    expect(messageOf(() => sim.getPrivateData('cc', 'readers', 'k'))).toBe('tx creator does not have read access permission on privatedata in chaincodeName:cc collectionName: readers');
    expect(messageOf(() => [...sim.getPrivateDataRange('cc', 'readers', '', '')])).toContain('does not have read access');
    expect(messageOf(() => sim.setPrivateData('cc', 'writers', 'k', Buffer.from('v')))).toBe(
      'tx creator does not have write access permission on privatedata in chaincodeName:cc collectionName: writers',
    );
    expect(messageOf(() => sim.purgePrivateData('cc', 'writers', 'k'))).toContain('does not have write access');
    // The other direction of each collection is open, and a hash is readable by anyone.
    sim.setPrivateData('cc', 'readers', 'k', Buffer.from('v'));
    expect(sim.getPrivateData('cc', 'writers', 'k')).toBeUndefined();
    expect(sim.getPrivateDataHash('cc', 'readers', 'k')).toBeUndefined();
  });

  it('refuses collections the chaincode does not define, but knows the implicit org collections', () => {
    const sim = checkedFor('Org2MSP');
    expect(messageOf(() => sim.getPrivateDataHash('cc', 'nosuch', 'k'))).toBe('collection nosuch is not defined for chaincode cc on channel ch1');
    expect(messageOf(() => sim.setPrivateData('other', 'readers', 'k', Buffer.from('v')))).toBe('collection readers is not defined for chaincode other on channel ch1');
    sim.setPrivateData('cc', '_implicit_org_Org1MSP', 'k', Buffer.from('v'));
  });
});
