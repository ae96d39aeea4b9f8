import { policyConformanceSuite } from '../../../../core/policy/conformance';
import { FabricPolicyProvider } from '../../../../plugins/policy-fabric';

policyConformanceSuite('policy-fabric', () => new FabricPolicyProvider());
