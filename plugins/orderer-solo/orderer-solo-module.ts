import { ContainerModule } from '../../core/di';
import { NodeConfigToken, slotOptions, type NodeConfig } from '../../core/node/config';
import { NodeLoggingToken, type NodeLogging } from '../../core/node/logger';
import { Consenter } from '../../core/orderer/consenter';
import { SoloConsenter, type SoloOptions } from './solo-consenter';

/** Binds the solo consenter to `Consenter`, with its options from the node config and its loggers from the node's logging when those are bound. */
export default new ContainerModule(({ bind }) => {
  bind(Consenter)
    .toDynamicValue((ctx) => {
      const config = ctx.get<NodeConfig>(NodeConfigToken, { optional: true });
      const options = config !== undefined ? (slotOptions(config, 'ordering') as Partial<SoloOptions>) : {};
      return new SoloConsenter(options, ctx.get<NodeLogging>(NodeLoggingToken, { optional: true }));
    })
    .inSingletonScope();
});
