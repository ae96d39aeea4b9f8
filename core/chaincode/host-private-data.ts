/**
 * The host table's private data entries (sandbox ABI 5). A Fabric peer's handler serves these from
 * the public state messages with the collection set; here each has an entry of its own, going to
 * the simulator's private data methods in the invoked chaincode's namespace. Whether a collection
 * exists and whether the creator may read or write it is for the simulator and the peer to say.
 */
import type { ShimRequestType } from './chaincode-runtime';
import type { HostTable } from './host-api';
import { bytes, exact, hostKV, MAX_QUERY_BYTES, str, VALIDATION_PARAMETER, wire } from './host-args';
import { utf8Bytes } from './host-budget';
import type { HostEntry, HostSession } from './host-session';

/**
 * Longest collection name. Fabric sets no limit, but names come from a chaincode definition, and
 * a longer one is a chaincode passing garbage, which must be refused before it is copied around.
 */
const MAX_COLLECTION_BYTES = 1024;

type PrivateDataEntries = Pick<
  HostTable,
  | 'getPrivateData'
  | 'getPrivateDataHash'
  | 'putPrivateData'
  | 'deletePrivateData'
  | 'purgePrivateData'
  | 'getPrivateDataValidationParameter'
  | 'setPrivateDataValidationParameter'
  | 'openPrivateDataByRange'
  | 'openPrivateDataQueryResult'
>;

/** The messages fabric-shim sends for these calls (`handler.js`): state messages with the collection set, and two of their own. */
export const PRIVATE_DATA_SHIM_REQUEST_TYPES: Readonly<Record<keyof PrivateDataEntries, ShimRequestType>> = {
  getPrivateData: 'GET_STATE',
  getPrivateDataHash: 'GET_PRIVATE_DATA_HASH',
  putPrivateData: 'PUT_STATE',
  deletePrivateData: 'DEL_STATE',
  purgePrivateData: 'PURGE_PRIVATE_DATA',
  getPrivateDataValidationParameter: 'GET_STATE_METADATA',
  setPrivateDataValidationParameter: 'PUT_STATE_METADATA',
  openPrivateDataByRange: 'GET_STATE_BY_RANGE',
  openPrivateDataQueryResult: 'GET_QUERY_RESULT',
};

/**
 * The collection of a private data call. Fabric's handler refuses every private data request of
 * an `Init` before looking at anything else: collection access needs a committed definition.
 */
export function collectionOf(s: HostSession, collection: unknown): string {
  if (s.invocation.isInit === true) throw new Error('private data APIs are not allowed in chaincode Init()');
  return str(collection, 'collection', MAX_COLLECTION_BYTES, false);
}

/** What a private write holds in the peer: the collection's name, the key and the value (its hash and the key's are small). */
function written(collection: string, key: string, valueBytes: number): number {
  return utf8Bytes(collection) + utf8Bytes(key) + valueBytes;
}

export function keyOf(s: HostSession, key: unknown, name = 'key', allowEmpty = true): string {
  return str(key, name, s.limits.maxKeyBytes, allowEmpty);
}

/** The private data entries of the host table, built over the table's own entry wrapper. */
export function privateDataEntries(entry: HostEntry): PrivateDataEntries {
  return {
    getPrivateData: entry('getPrivateData', (s, c: string, k: string) => wire(s.support.simulator.getPrivateData(s.namespace, collectionOf(s, c), keyOf(s, k)))),
    getPrivateDataHash: entry('getPrivateDataHash', (s, c: string, k: string) => wire(s.support.simulator.getPrivateDataHash(s.namespace, collectionOf(s, c), keyOf(s, k)))),
    putPrivateData: entry('putPrivateData', (s, c: string, k: string, v: Uint8Array) => {
      const [cc, kk] = [collectionOf(s, c), keyOf(s, k, 'key', false)];
      const vv = bytes(v, `value for key ${JSON.stringify(kk)}`, s.limits.maxValueBytes);
      s.write('putPrivateData', 'private', { collection: cc, key: kk }, written(cc, kk, vv.length), () => {
        if (vv.length === 0) s.support.simulator.deletePrivateData(s.namespace, cc, kk);
        else s.support.simulator.setPrivateData(s.namespace, cc, kk, vv);
      });
      return undefined;
    }),
    deletePrivateData: entry('deletePrivateData', (s, c: string, k: string) => {
      const [cc, kk] = [collectionOf(s, c), keyOf(s, k, 'key', false)];
      s.write('deletePrivateData', 'private', { collection: cc, key: kk }, written(cc, kk, 0), () => s.support.simulator.deletePrivateData(s.namespace, cc, kk));
      return undefined;
    }),
    purgePrivateData: entry('purgePrivateData', (s, c: string, k: string) => {
      const [cc, kk] = [collectionOf(s, c), keyOf(s, k, 'key', false)];
      s.write('purgePrivateData', 'purge', { collection: cc, key: kk }, written(cc, kk, 0), () => s.support.simulator.purgePrivateData(s.namespace, cc, kk));
      return undefined;
    }),
    getPrivateDataValidationParameter: entry('getPrivateDataValidationParameter', (s, c: string, k: string) =>
      exact(s.support.simulator.getPrivateDataMetadata(s.namespace, collectionOf(s, c), keyOf(s, k))?.[VALIDATION_PARAMETER]),
    ),
    setPrivateDataValidationParameter: entry('setPrivateDataValidationParameter', (s, c: string, k: string, policy: Uint8Array) => {
      const [cc, kk] = [collectionOf(s, c), keyOf(s, k, 'key', false)];
      const ep = bytes(policy, 'endorsement policy', s.limits.maxValueBytes);
      s.write('setPrivateDataValidationParameter', 'private-metadata', { collection: cc, key: kk }, written(cc, kk, ep.length), () =>
        s.support.simulator.setPrivateDataMetadata(s.namespace, cc, kk, { [VALIDATION_PARAMETER]: ep }),
      );
      return undefined;
    }),
    openPrivateDataByRange: entry('openPrivateDataByRange', (s, c: string, start: string, end: string) => {
      const [cc, a, b] = [collectionOf(s, c), keyOf(s, start, 'startKey'), keyOf(s, end, 'endKey')];
      return s.queries.start(() => s.support.simulator.getPrivateDataRange(s.namespace, cc, a, b), hostKV);
    }),
    openPrivateDataQueryResult: entry('openPrivateDataQueryResult', (s, c: string, query: string) => {
      const [cc, q] = [collectionOf(s, c), str(query, 'query', MAX_QUERY_BYTES)];
      return s.queries.start(() => s.support.simulator.executeQueryOnPrivateData(s.namespace, cc, q), hostKV);
    }),
  };
}
