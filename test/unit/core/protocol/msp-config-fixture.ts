import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { utf8 } from './test-signer';

/** A `FabricMSPConfig` named `name` with a placeholder root certificate (enough for config building and parsing). */
export function mspConfig(name: string): FabricMSPConfig {
  const c = new FabricMSPConfig();
  c.setName(name);
  c.setRootCertsList([utf8(`-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`)]);
  return c;
}
