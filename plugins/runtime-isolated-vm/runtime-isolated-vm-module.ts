import { ChaincodeRuntime } from '../../core/chaincode/chaincode-runtime';
import { ContainerModule } from '../../core/di';
import { NodeConfigToken, slotOptions, type NodeConfig } from '../../core/node/config';
import { NodeLoggingToken, type NodeLogging } from '../../core/node/logger';
import { IsolatedVmRuntime } from './isolated-vm-runtime';
import type { IsolatedVmRuntimeOptions } from './isolated-vm-runtime-options';

/** Binds the isolated-vm runtime to `ChaincodeRuntime`, with its options from the node config and its logger from the node's logging when those are bound. */
export default new ContainerModule(({ bind }) => {
  bind(ChaincodeRuntime)
    .toDynamicValue((ctx) => {
      const config = ctx.get<NodeConfig>(NodeConfigToken, { optional: true });
      const options = config !== undefined ? (slotOptions(config, 'runtime') as IsolatedVmRuntimeOptions) : {};
      return new IsolatedVmRuntime(options, ctx.get<NodeLogging>(NodeLoggingToken, { optional: true }));
    })
    .inSingletonScope();
});
