import { ContainerModule } from '../../core/di';
import { PackageTypeRuntime } from '../../core/chaincode/package-type-runtime';
import { NodeConfigToken, slotOptions, type NodeConfig } from '../../core/node/config';
import { NodeLoggingToken, type NodeLogging } from '../../core/node/logger';
import { CCAAS_PACKAGE_TYPE, CcaasRuntime } from './ccaas-runtime';
import { chaincodeProtocol, slotLimits } from './ccaas-runtime-options';
import { builderConfig } from '../../core/chaincode/ccaas-templates';

/**
 * Binds the chaincode-as-a-service runtime as the runtime of `ccaas` packages, beside whatever the
 * `runtime` slot names: the peer loads this module itself, as Fabric's peer image ships its ccaas
 * builder, so no node YAML needs to mention it. The slot's limit options and the node's ID (the
 * `peername` of `connection.json` templates) come from the node config when one is bound.
 */
export default new ContainerModule(({ bind }) => {
  bind<PackageTypeRuntime>(PackageTypeRuntime)
    .toDynamicValue((ctx) => {
      const config = ctx.get<NodeConfig>(NodeConfigToken, { optional: true });
      return {
        packageType: CCAAS_PACKAGE_TYPE,
        runtime: new CcaasRuntime({
          logger: ctx.get<NodeLogging>(NodeLoggingToken, { optional: true })?.logger('chaincode.ccaas'),
          limits: config === undefined ? {} : slotLimits(slotOptions(config, 'runtime')),
          protocol: chaincodeProtocol(config === undefined ? {} : slotOptions(config, 'runtime')),
          templateContext: builderConfig(config?.id, process.env),
        }),
      };
    })
    .inSingletonScope();
});
