import { deployNextSteps } from '../../../../cli/services/chaincode/deploy-next-steps';
import type { DeployResult } from '../../../../cli/services/chaincode/deploy';

const base: DeployResult = {
  name: 'assets',
  version: '1.0',
  sequence: 1,
  packageId: 'assets_1.0:ab',
  installedOn: ['peer0.org1.example.com'],
  approvedBy: ['Org1MSP'],
  alreadyApproved: [],
  committed: true,
  waitingFor: [],
};

describe('deployNextSteps', () => {
  it('keeps the channel a deploy acted on in the command it suggests, and leaves it out for the default one', () => {
    expect(deployNextSteps('./net', base, { channel: 'audit', initRequired: false })).toEqual(['try: weft chaincode query ./net --channel audit --name assets <function> [args...]']);
    expect(deployNextSteps('./net', base, { initRequired: false })).toEqual(['try: weft chaincode query ./net --name assets <function> [args...]']);
  });

  it('suggests the Init call first for a chaincode deployed with --init-required', () => {
    expect(deployNextSteps('./net', base, { initRequired: true })).toEqual(['try: weft chaincode invoke ./net --name assets --is-init <function> [args...]']);
  });

  it('has the orgs still to approve run the same definition on the same channel', () => {
    const waiting: DeployResult = { ...base, committed: false, waitingFor: ['Org2MSP'] };
    expect(deployNextSteps('./net-org1', waiting, { channel: 'trade', policy: "OR('Org1MSP.peer')", initRequired: true, collectionsConfig: 'c.json' })).toEqual([
      `next, on its host: weft chaincode deploy <dir> <same source> --channel trade --name assets --version 1.0 --sequence 1 --policy "OR('Org1MSP.peer')" --init-required --collections-config <same file>`,
    ]);
  });

  it('repeats a policy a shell would expand inside double quotes as one single-quoted word', () => {
    const waiting: DeployResult = { ...base, committed: false, waitingFor: ['Org2MSP'] };
    const [step] = deployNextSteps('./net', waiting, { policy: `OR('Org1MSP.peer') $HOME "x"`, initRequired: false });
    expect(step).toMatch(/ --policy 'OR\('\\''Org1MSP\.peer'\\''\) \$HOME "x"'$/);
  });
});
