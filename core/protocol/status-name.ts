import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';

const NAMES = new Map<number, string>(Object.entries(Status).map(([name, value]) => [value as number, name]));

/** A `common.Status` by its Go name (`BAD_REQUEST`), as Fabric prints it in texts, logs and metric labels; `fallback` for a number it does not name. */
export function statusName(status: number, fallback: string = String(status)): string {
  return NAMES.get(status) ?? fallback;
}
