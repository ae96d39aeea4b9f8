import { checkStateDbFile } from '../../../../core/chaincode/statedb-index-files';

const FILE = 'META-INF/statedb/couchdb/indexes/i.json';
const check = (json: string) => () => checkStateDbFile(FILE, Buffer.from(json));

describe("a project's index files, checked at packaging as Fabric's packager checks them (ccmetadata.ValidateMetadataFile)", () => {
  test.each([
    ['an unknown top-level entry', '{"index":{"fields":["a"]},"name":"n","extra":1}', 'Invalid Entry.  Entry extra'],
    ['an unknown entry in "index"', '{"index":{"fields":["a"],"foo":1},"name":"n"}', 'Invalid Entry.  Entry foo'],
    ['"selector" in "index" (CouchDB reads it, Fabric refuses it)', '{"index":{"fields":["a"],"selector":{"x":1}},"name":"n"}', 'Invalid Entry.  Entry selector'],
    ['"fields" that is no array', '{"index":{"fields":"a"},"name":"n"}', 'Expecting a JSON array of fields'],
  ])('refuses %s with Fabric\'s reason', (_what, json, reason) => {
    expect(check(json)).toThrow(expect.objectContaining({ code: 'CHAINCODE_BAD_INDEX', message: `Index metadata file [${FILE}] is not a valid index definition: ${reason}` }));
  });

  test('refuses a file that is not JSON with Fabric\'s words', () => {
    expect(check('{"index":')).toThrow(`Index metadata file [${FILE}] is not a valid JSON`);
  });

  test.each([
    ['a NUL in "name"', '{"index":{"fields":["a"]},"name":"a\\u0000b"}', '"name" "a\\u0000b" holds a control character'],
    ['a control character in "ddoc"', '{"index":{"fields":["a"]},"name":"n","ddoc":"d\\nx"}', '"ddoc" "d\\nx" holds a control character'],
    ['a lone surrogate in "name"', '{"index":{"fields":["a"]},"name":"\\udc00"}', '"name" "\\udc00" holds a lone UTF-16 surrogate'],
  ])('refuses %s, which the SQLite ledger cannot store', (_what, json, reason) => {
    expect(check(json)).toThrow(`Index metadata file [${FILE}] is not a valid index definition: ${reason}`);
  });

  test.each([
    '{"index":{"fields":["a",{"b":"desc"}]},"name":"n","ddoc":"d","type":"json"}',
    '{"index":{"fields":["a"],"partial_filter_selector":{"x":{"$gt":1}}},"name":"n"}',
    '{"index":{"fields":["a"]},"name":"名前 😀 \'quoted\'"}',
  ])('accepts %s', (json) => {
    expect(check(json)).not.toThrow();
  });
});
