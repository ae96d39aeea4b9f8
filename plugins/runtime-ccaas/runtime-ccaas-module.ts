import { ContainerModule } from '../../core/di';
import { PackageTypeRuntime } from '../../core/chaincode/package-type-runtime';
import { NodeLoggingToken, type NodeLogging } from '../../core/node/logger';
import { CCAAS_PACKAGE_TYPE, CcaasRuntime } from './ccaas-runtime';

/**
 * Binds the chaincode-as-a-service runtime as the runtime of `ccaas` packages, beside whatever the
 * `runtime` slot names: the peer loads this module itself, as Fabric's peer image ships its ccaas
 * builder, so no node YAML needs to mention it.
 */
export default new ContainerModule(({ bind }) => {
  bind<PackageTypeRuntime>(PackageTypeRuntime)
    .toDynamicValue((ctx) => ({
      packageType: CCAAS_PACKAGE_TYPE,
      runtime: new CcaasRuntime(ctx.get<NodeLogging>(NodeLoggingToken, { optional: true })?.logger('chaincode.ccaas')),
    }))
    .inSingletonScope();
});
