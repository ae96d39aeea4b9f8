import { runtimeConformance } from '../../../../core/chaincode/conformance';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { MemoryWorld, type MemorySimulator } from '../../core/chaincode/memory-simulator';
import { creator, USER1_ID, USER2_ID } from '../../core/chaincode/fixtures';

runtimeConformance('isolated-vm over an in-memory simulator', {
  createRuntime: (options) => new IsolatedVmRuntime(options),
  createWorld: () => {
    const world = new MemoryWorld();
    return {
      simulator: (txId) => world.simulator(txId),
      commit: (sim) => world.commit(sim as MemorySimulator),
      close: () => undefined,
    };
  },
  creators: { minter: creator('user1'), other: creator('user2'), org2: creator('user2', 'Org2MSP') },
  ids: { minter: USER1_ID, other: USER2_ID },
});
