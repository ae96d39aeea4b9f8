/**
 * The `_lifecycle` messages that carry a chaincode definition (Approve, CheckCommitReadiness and
 * Commit arguments, and the approvals and definitions Weft stores as the first and last), decoded
 * as protobuf-go decodes them and encoded without recursion: their collection packages may nest
 * signature policies as deep as Go's limit allows (see `policy-wire.ts`).
 */
import { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ChaincodeSource,
  CheckCommitReadinessArgs,
  CommitChaincodeDefinitionArgs,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { LEN, type MessageBytes, VARINT, WireReader } from '../../protocol/wire-reader';
import { type WireField, boolField, lenField, message, stringField, uintField } from '../../protocol/wire-writer';
import { decodeCollectionPackageInto, encodeCollectionPackage } from './collection-wire';

type DefinitionArgs = ApproveChaincodeDefinitionForMyOrgArgs | CheckCommitReadinessArgs | CommitChaincodeDefinitionArgs;

/**
 * Fields 1–8, which the three messages share: sequence, name, version, endorsement and
 * validation plugins, validation parameter, collections, init required. `extra` reads any other
 * field it knows and returns true, else the field is skipped (an unknown field to protobuf-go).
 */
function decodeArgs<T extends DefinitionArgs>(m: T, bytes: Uint8Array, path: string, typeName: string, extra?: (r: WireReader) => boolean): T {
  const r = new WireReader(bytes, path, typeName);
  let collections: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, VARINT)) m.setSequence(r.int64());
    else if (r.has(2, LEN)) m.setName(r.string());
    else if (r.has(3, LEN)) m.setVersion(r.string());
    else if (r.has(4, LEN)) m.setEndorsementPlugin(r.string());
    else if (r.has(5, LEN)) m.setValidationPlugin(r.string());
    else if (r.has(6, LEN)) m.setValidationParameter(r.bytes().slice());
    else if (r.has(7, LEN)) collections = r.message(collections);
    else if (r.has(8, VARINT)) m.setInitRequired(r.uint() !== 0);
    else if (extra === undefined || !extra(r)) r.skip();
  }
  if (collections !== undefined) {
    const pkg = new CollectionConfigPackage();
    m.setCollections(pkg);
    decodeCollectionPackageInto(collections, pkg, 2, `${path}.collections`);
  }
  return m;
}

/** `ApproveChaincodeDefinitionForMyOrgArgs` bytes as protobuf-go reads them; throws `PROTOCOL_MALFORMED` naming `path`. */
export function decodeApproveArgs(bytes: Uint8Array, path: string): ApproveChaincodeDefinitionForMyOrgArgs {
  let source: MessageBytes | undefined;
  const m = decodeArgs(new ApproveChaincodeDefinitionForMyOrgArgs(), bytes, path, 'lifecycle.ApproveChaincodeDefinitionForMyOrgArgs', (r) => {
    if (!r.has(9, LEN)) return false;
    source = r.message(source);
    return true;
  });
  if (source !== undefined) {
    const s = new ChaincodeSource();
    m.setSource(s);
    decodeSource(source, s, `${path}.source`);
  }
  return m;
}

/** `CommitChaincodeDefinitionArgs` bytes as protobuf-go reads them. */
export function decodeCommitArgs(bytes: Uint8Array, path: string): CommitChaincodeDefinitionArgs {
  return decodeArgs(new CommitChaincodeDefinitionArgs(), bytes, path, 'lifecycle.CommitChaincodeDefinitionArgs');
}

/** `CheckCommitReadinessArgs` bytes as protobuf-go reads them. */
export function decodeCheckCommitReadinessArgs(bytes: Uint8Array, path: string): CheckCommitReadinessArgs {
  return decodeArgs(new CheckCommitReadinessArgs(), bytes, path, 'lifecycle.CheckCommitReadinessArgs');
}

/** `ChaincodeSource`: the `unavailable` (1) or `local_package` (2) oneof, a member repeated merged. */
function decodeSource(bytes: MessageBytes, s: ChaincodeSource, path: string): void {
  const r = new WireReader(bytes, path, 'lifecycle.ChaincodeSource');
  while (r.next()) {
    if (r.has(1, LEN)) {
      // Unavailable has no fields: its bytes only need to be well formed.
      skipAll(new WireReader(r.bytes(), `${path}.unavailable`, 'lifecycle.ChaincodeSource.Unavailable'));
      if (s.getUnavailable() === undefined) s.setUnavailable(new ChaincodeSource.Unavailable());
    } else if (r.has(2, LEN)) {
      let local = s.getLocalPackage();
      if (local === undefined) s.setLocalPackage((local = new ChaincodeSource.Local()));
      const lr = new WireReader(r.bytes(), `${path}.local_package`, 'lifecycle.ChaincodeSource.Local');
      while (lr.next()) {
        if (lr.has(1, LEN)) local.setPackageId(lr.string());
        else lr.skip();
      }
    } else r.skip();
  }
}

/** An `int64` field (negative values as 10-byte two's complement varints), omitted when 0. */
export function int64Field(field: number, value: number): Uint8Array | undefined {
  if (value >= 0) return uintField(field, value);
  const bytes = [field * 8];
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

function skipAll(r: WireReader): void {
  while (r.next()) r.skip();
}

/** A message with a collection package (a `_lifecycle` result or argument, or a definition in a list). */
interface WithCollections {
  getCollections(): CollectionConfigPackage | undefined;
  setCollections(value?: CollectionConfigPackage): unknown;
  serializeBinary(): Uint8Array;
}

/**
 * `m`'s bytes as its `serializeBinary` writes them, its collection package (field `field`) encoded
 * without recursion: the package is detached while the rest serializes, and spliced in at its
 * place in field-number order. It is then attached again as a new, equal object (a
 * google-protobuf setter would walk the original whole).
 */
export function encodeWithCollections(m: WithCollections, field: number): Uint8Array {
  const pkg = m.getCollections();
  if (pkg === undefined) return m.serializeBinary();
  const pkgBytes = encodeCollectionPackage(pkg);
  let rest: Uint8Array;
  m.setCollections(undefined);
  try {
    rest = m.serializeBinary();
  } finally {
    const again = new CollectionConfigPackage();
    m.setCollections(again);
    decodeCollectionPackageInto(pkgBytes, again, 1, 'collections');
  }
  const r = new WireReader(rest, 'message', 'message');
  let cut = rest.length;
  while (r.next()) {
    if (r.field > field) {
      cut = r.fieldStart;
      break;
    }
    r.skip();
  }
  const own = message(lenField(field, pkgBytes, false));
  const out = new Uint8Array(rest.length + own.length);
  out.set(rest.subarray(0, cut), 0);
  out.set(own, cut);
  out.set(rest.subarray(cut), cut + own.length);
  return out;
}

/** Fields 1–8 of `m`, as google-protobuf's `serializeBinary` writes them, the collections without recursion. */
function argsFields(m: DefinitionArgs): (WireField | undefined)[] {
  const collections = m.getCollections();
  return [
    int64Field(1, m.getSequence()),
    stringField(2, m.getName()),
    stringField(3, m.getVersion()),
    stringField(4, m.getEndorsementPlugin()),
    stringField(5, m.getValidationPlugin()),
    lenField(6, m.getValidationParameter_asU8(), true),
    collections === undefined ? undefined : lenField(7, encodeCollectionPackage(collections), false),
    boolField(8, m.getInitRequired()),
  ];
}

/** A definition-carrying `_lifecycle` message's bytes (those of `serializeBinary`), without recursion. */
export function encodeDefinitionArgs(m: DefinitionArgs): Uint8Array {
  const fields = argsFields(m);
  if (!(m instanceof ApproveChaincodeDefinitionForMyOrgArgs)) return message(...fields);
  const source = m.getSource();
  return message(...fields, source === undefined ? undefined : lenField(9, source.serializeBinary(), false));
}
