import { ContainerModule } from '../../core/di';
import { PolicyProvider } from '../../core/policy';
import { FabricPolicyProvider } from './fabric-policy-provider';

/** Fills the `policy` slot with Fabric's policies. */
export default new ContainerModule(({ bind }) => {
  bind(PolicyProvider).to(FabricPolicyProvider).inSingletonScope();
});
