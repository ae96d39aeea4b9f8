import * as fs from 'node:fs';
import * as path from 'node:path';

/** One answer a Fabric 2.4.9 peer gave to Fabric's `peer chaincode query` on a system chaincode. */
export interface FabricSccRefusal {
  readonly chaincode: string;
  readonly args: readonly string[];
  readonly status: number;
  readonly message: string;
}

const LAB_CHANNEL = 'labchannel';

/**
 * The refusals captured from a Fabric 2.4.9 peer (test/fixtures/fabric-2.4.9/peer-cli/README.md) for
 * `chaincode`, with the lab's channel name replaced by `channel`, so a test's own peer must answer
 * each one word for word.
 */
export function fabricSccRefusals(chaincode: 'qscc' | 'cscc' | 'lscc', channel: string): FabricSccRefusal[] {
  const file = path.join(__dirname, '../fixtures/fabric-2.4.9/peer-cli/scc-refusals.json');
  const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as { chaincode: string; args: string[]; status: number; message: string }[];
  const rename = (text: string): string => text.split(LAB_CHANNEL).join(channel);
  return entries
    .filter((e) => e.chaincode === chaincode)
    .map((e) => ({ chaincode: e.chaincode, args: e.args.map(rename), status: e.status, message: rename(e.message) }));
}
