import { createHash } from 'node:crypto';
import { StateData, StateMetadata } from '@hyperledger/fabric-protos/lib/peer/lifecycle/db_pb';
import { type Serializable, type WritableState, isSerialized, serialize } from '../../../../../core/peer/lifecycle/lifecycle-serializer';

/** A state map recording what `serialize` reads, writes and deletes. */
function recordingState(initial: Record<string, Uint8Array> = {}): WritableState & { values: Map<string, Uint8Array>; reads: string[]; puts: string[]; dels: string[] } {
  const values = new Map(Object.entries(initial));
  const reads: string[] = [];
  const puts: string[] = [];
  const dels: string[] = [];
  return {
    values,
    reads,
    puts,
    dels,
    getState: (key) => (reads.push(key), values.get(key)),
    putState: (key, value) => (puts.push(key), values.set(key, value)),
    delState: (key) => (dels.push(key), values.delete(key)),
  };
}

const metadata = (datatype: string, fields: string[]): Uint8Array => {
  const m = new StateMetadata();
  m.setDatatype(datatype);
  m.setFieldsList(fields);
  return m.serializeBinary();
};
const stateData = (set: (d: StateData) => void): Uint8Array => {
  const d = new StateData();
  set(d);
  return d.serializeBinary();
};
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

const THING: Serializable = {
  datatype: 'Thing',
  fields: [
    ['Count', { int64: 0 }],
    ['Label', { string: 'x' }],
    ['Blob', { bytes: new Uint8Array(0) }],
  ],
};

describe("Fabric's _lifecycle serializer", () => {
  it('writes every field and the metadata of a new structure, each oneof member even when zero', () => {
    const s = recordingState();
    serialize('ns', 'n', THING, s);
    expect(s.reads).toEqual(['ns/metadata/n']);
    expect(Object.fromEntries(s.values)).toEqual({
      'ns/fields/n/Count': stateData((d) => d.setInt64(0)),
      'ns/fields/n/Label': stateData((d) => d.setString('x')),
      'ns/fields/n/Blob': stateData((d) => d.setBytes(new Uint8Array(0))),
      'ns/metadata/n': metadata('Thing', ['Count', 'Label', 'Blob']),
    });
  });

  it('writes only the fields whose bytes change, after reading every field the metadata lists', () => {
    const s = recordingState();
    serialize('ns', 'n', THING, s);
    const again = recordingState(Object.fromEntries(s.values));
    serialize('ns', 'n', { ...THING, fields: [['Count', { int64: 2 }], ...THING.fields.slice(1)] }, again);
    expect(again.reads).toEqual(['ns/metadata/n', 'ns/fields/n/Count', 'ns/fields/n/Label', 'ns/fields/n/Blob']);
    expect([again.puts, again.dels]).toEqual([['ns/fields/n/Count'], []]);
  });

  it('deletes the keys of fields the structure no longer has, and rewrites the metadata keeping its unknown fields', () => {
    const unknown = Uint8Array.of(0x18, 0x07); // field 3: no field of StateMetadata
    const s = recordingState({
      'ns/metadata/n': Buffer.concat([metadata('Thing', ['Count', 'Old']), unknown]),
      'ns/fields/n/Old': stateData((d) => d.setString('stale')),
    });
    serialize('ns', 'n', THING, s);
    expect(s.dels).toEqual(['ns/fields/n/Old']);
    expect(s.values.get('ns/metadata/n')).toEqual(Uint8Array.from(Buffer.concat([metadata('Thing', ['Count', 'Label', 'Blob']), unknown])));
  });

  it("names what differs from the stored hashes: the type alone when the metadata's does not match, else each field", () => {
    const s = recordingState();
    serialize('ns', 'n', THING, s);
    const hashes = new Map([...s.values].map(([k, v]) => [k, sha256(v)]));
    const opaque = { getStateHash: (key: string) => hashes.get(key) };
    expect(isSerialized('ns', 'n', THING, opaque)).toEqual({ ok: true, mismatches: [] });
    expect(isSerialized('ns', 'n', { ...THING, fields: [THING.fields[0], ['Label', { string: 'y' }], ['Blob', { bytes: Uint8Array.of(1) }]] }, opaque)).toEqual({
      ok: false,
      mismatches: ['Label', 'Blob'],
    });
    expect(isSerialized('ns', 'n', { ...THING, datatype: 'Other' }, opaque)).toEqual({ ok: false, mismatches: ['Other'] });
    expect(isSerialized('ns', 'm', THING, opaque)).toEqual({ ok: false, mismatches: ['Thing'] });
  });
});
