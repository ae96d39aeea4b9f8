import { ProtocolError } from '../../../../core/errors';
import { LEN, type MessageBytes, VARINT, WireReader } from '../../../../core/protocol/wire-reader';
import { tag, varint } from '../../../support/raw-protobuf';

/*
 * The cases below are protobuf-go's own decoding vectors (proto/testmessages_test.go,
 * testValidMessages and testInvalidMessages), re-encoded byte for byte, with the result protobuf-go
 * asserts for them. They are decoded into a slice of test3.TestAllTypes by a decoder written the way
 * Weft's protocol decoders are, so a divergence from protobuf-go shows up here first.
 */

const lengthPrefixed = (...parts: number[][]): number[] => {
  const body = parts.flat();
  return [...varint(body.length), ...body];
};
const str = (s: string): number[] => lengthPrefixed([...Buffer.from(s, 'latin1')]);
const bytesOf = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
const START_GROUP = 3;
const END_GROUP = 4;

/** test3.TestAllTypes{optional_int32 = 1, optional_string = 14, optional_nested_message = 18, oneof_uint64 = 116} (a slice). */
interface AllTypes {
  int32: number;
  string: string;
  nested: { a: number; corecursive?: AllTypes } | undefined;
  oneofUint64: number;
}

function decodeAllTypes(bytes: MessageBytes): AllTypes {
  const r = new WireReader(bytes, 'test', 'TestAllTypes');
  const out: AllTypes = { int32: 0, string: '', nested: undefined, oneofUint64: 0 };
  let nested: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, VARINT)) out.int32 = r.int32();
    else if (r.has(14, LEN)) out.string = r.string();
    else if (r.has(18, LEN)) nested = r.message(nested);
    else if (r.has(116, VARINT)) out.oneofUint64 = r.uint();
    else r.skip();
  }
  if (nested !== undefined) {
    const n = new WireReader(nested, 'test.optional_nested_message', 'NestedMessage');
    let a = 0;
    let corecursive: MessageBytes | undefined;
    while (n.next()) {
      if (n.has(1, VARINT)) a = n.int32();
      else if (n.has(2, LEN)) corecursive = n.message(corecursive);
      else n.skip();
    }
    out.nested = { a, ...(corecursive === undefined ? {} : { corecursive: decodeAllTypes(corecursive) }) };
  }
  return out;
}

const empty: AllTypes = { int32: 0, string: '', nested: undefined, oneofUint64: 0 };

describe('WireReader decodes as protobuf-go', () => {
  it.each<[string, Uint8Array, AllTypes]>([
    ['basic scalars', bytesOf(tag(1, VARINT), varint(1001), tag(14, LEN), str('string')), { ...empty, int32: 1001, string: 'string' }],
    ['groups', bytesOf(tag(16, START_GROUP), tag(17, VARINT), varint(1017), tag(16, VARINT), varint(1016), tag(16, END_GROUP)), empty],
    ['groups (field overridden)', bytesOf(tag(16, START_GROUP), tag(17, VARINT), varint(1), tag(16, END_GROUP), tag(16, START_GROUP), tag(17, VARINT), varint(2), tag(16, END_GROUP)), empty],
    ['nested groups', bytesOf(tag(16, START_GROUP), tag(5, START_GROUP), tag(6, LEN), str('x'), tag(5, END_GROUP), tag(16, END_GROUP), tag(1, VARINT), varint(7)), { ...empty, int32: 7 }],
    [
      'messages',
      bytesOf(tag(18, LEN), lengthPrefixed(tag(1, VARINT), varint(42), tag(2, LEN), lengthPrefixed(tag(1, VARINT), varint(43)))),
      { ...empty, nested: { a: 42, corecursive: { ...empty, int32: 43 } } },
    ],
    [
      'messages (split across multiple tags)',
      bytesOf(tag(18, LEN), lengthPrefixed(tag(1, VARINT), varint(42)), tag(18, LEN), lengthPrefixed(tag(2, LEN), lengthPrefixed(tag(1, VARINT), varint(43)))),
      { ...empty, nested: { a: 42, corecursive: { ...empty, int32: 43 } } },
    ],
    ['messages (field overridden)', bytesOf(tag(18, LEN), lengthPrefixed(tag(1, VARINT), varint(1)), tag(18, LEN), lengthPrefixed(tag(1, VARINT), varint(2))), { ...empty, nested: { a: 2 } }],
    ['oneof (overridden value)', bytesOf(tag(111, VARINT), varint(1), tag(116, VARINT), varint(2)), { ...empty, oneofUint64: 2 }],
    ['unknown fields', bytesOf(tag(100000, VARINT), varint(1)), empty],
    ['field type mismatch', bytesOf(tag(1, LEN), str('string')), empty],
    ['first and last reserved field numbers', bytesOf(tag(19000, VARINT), varint(1004), tag(19999, VARINT), varint(1005)), empty],
    ['field number max', bytesOf(tag(536870911, VARINT), varint(1006)), empty],
    ['int32 from a 10-byte varint', bytesOf(tag(1, VARINT), varint(2n ** 64n - 5n)), { ...empty, int32: -5 }],
  ])('accepts %s', (_desc, wire, expected) => {
    expect(decodeAllTypes(wire)).toEqual(expected);
  });

  it.each<[string, Uint8Array]>([
    ['invalid UTF-8 in optional string field', bytesOf(tag(14, LEN), str('abc\xff'))],
    ['invalid UTF-8 in nested message', bytesOf(tag(18, LEN), lengthPrefixed(tag(2, LEN), lengthPrefixed(tag(14, LEN), str('abc\xff'))))],
    ['invalid field number zero', bytesOf(tag(0, VARINT), varint(1001))],
    ['invalid field numbers max and max+1', bytesOf(tag(536870911, VARINT), varint(1006), tag(536870912, VARINT), varint(1007))],
    ['invalid field number wraps int32', bytesOf(varint(2234993595104), varint(0))],
    ['invalid tag varint', bytesOf([0xff])],
    ['invalid tag varint in message field', bytesOf(tag(18, LEN), lengthPrefixed([0xff]))],
    ['unterminated group field', bytesOf(tag(46, START_GROUP))],
    ['mismatched END_GROUP', bytesOf(tag(46, START_GROUP), tag(47, END_GROUP))],
    ['END_GROUP without a group', bytesOf(tag(46, END_GROUP))],
    ['reserved wire type', bytesOf(tag(46, 6), varint(0))],
    ['bytes field lacks size', bytesOf(tag(18, LEN))],
    ['varint field overruns message', bytesOf(tag(1, VARINT))],
    ['varint overflow', bytesOf(tag(1, VARINT), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])],
    ['varint length overrun', bytesOf(tag(1, VARINT), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    // Each occurrence of a message is decoded on its own: a field cut at the end of one is not completed by the next.
    ['a message occurrence cut short, completed by the next', bytesOf(tag(18, LEN), lengthPrefixed(tag(1, VARINT)), tag(18, LEN), lengthPrefixed(varint(42)))],
    ['a group opened in one message occurrence, closed in the next', bytesOf(tag(18, LEN), lengthPrefixed(tag(5, START_GROUP)), tag(18, LEN), lengthPrefixed(tag(5, END_GROUP)))],
  ])('refuses %s', (_desc, wire) => {
    expect(() => decodeAllTypes(wire)).toThrow(ProtocolError);
  });

  it('keeps the common single occurrence of a message a plain view, and merges only repeats', () => {
    const one = bytesOf(tag(18, LEN), lengthPrefixed(tag(1, VARINT), varint(1)));
    const r = new WireReader(one, 'test', 'TestAllTypes');
    expect(r.next()).toBe(true);
    const first = r.message(undefined);
    expect(first).toBeInstanceOf(Uint8Array);
    expect((first as Uint8Array).buffer).toBe(one.buffer);
    expect(r.next()).toBe(false);
  });

  it('reads uint32 as the low 32 bits of the varint', () => {
    const r = new WireReader(bytesOf(tag(1, VARINT), varint(2n ** 32n + 5n)), 'test', 'm');
    r.next();
    expect(r.uint32()).toBe(5);
  });
});
