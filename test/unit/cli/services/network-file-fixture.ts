import * as fs from 'node:fs';
import { stringify as stringifyYaml } from 'yaml';

/**
 * Writes a network file as `weft network init --from` reads it: one orderer and one peer per org
 * (`orgs[i]` its own fields, e.g. `keyAlgorithm`, merged over Org<i+1>'s name, MSP ID and domain),
 * each node's ports counted from `basePort` (the orderer's three, then ten per org).
 */
export function writeNetworkFile(file: string, basePort: number, orgs: readonly Record<string, unknown>[]): void {
  const network = {
    version: 1,
    channel: { name: 'mixed', batchTimeout: '1s', maxMessageCount: 10 },
    ordererOrg: { mspId: 'OrdererMSP', domain: 'example.com', orderers: [{ name: 'orderer', port: basePort, adminPort: basePort + 1, operationsPort: basePort + 2 }] },
    orgs: orgs.map((fields, i) => {
      const port = basePort + 10 * (i + 1);
      return { name: `Org${i + 1}`, mspId: `Org${i + 1}MSP`, domain: `org${i + 1}.example.com`, peers: [{ name: 'peer0', port, operationsPort: port + 1 }], ...fields };
    }),
  };
  fs.writeFileSync(file, stringifyYaml(network));
}
