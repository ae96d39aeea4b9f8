import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageChaincode } from '../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { MemoryWorld } from '../../unit/core/chaincode/memory-simulator';
import { creator, pem } from '../../unit/core/chaincode/fixtures';

interface Answer {
  status: number;
  message: string;
  payload: string;
  /** Fabric's dispatcher threw instead of answering: its peer would wait for the execute timeout. */
  threw?: string;
}

const FIXTURES = path.join(__dirname, 'fixtures');
const REPO = path.join(__dirname, '..', '..', '..');

/** Every call to the decorated TypeScript contracts, as a client would send it: typed conversions, validation, dispatch, results, errors. */
const DECORATED: string[][] = [
  ['typed:Register', '{"make":"VW","engine":{"litres":2}}', ' TRUE '],
  ['Register', '{"make":"VW"}', 'false'],
  ['Register', '{"make":"VW","seats":"four"}', 'true'],
  ['Register', '{"make":"VW","colour":"red"}', 'true'],
  ['Register', '{"make":"VW","engine":{"litres":"two"}}', 'true'],
  ['Register', '{"make":"VW"}', 'yes'],
  ['Register', 'not json', 'true'],
  ['Register', '[]', 'true'],
  ['Register', '{"make":"VW"}'],
  ['Register', '{"make":"VW"}', 'true', 'extra'],
  ['Register', '{"make":"VW","tags":["a",1]}', 'true'],
  ['Haul', '{"make":"MAN","axles":3,"payload":9}'],
  ['Haul', '{"make":7}'],
  ['Haul', '{"axles":"three"}'],
  ['Add', '1.5', '2'],
  ['Add', '0x10', ' 3 '],
  ['Add', 'abc', '1'],
  ['Add', '', '1'],
  ['Add', '1e3', '-0'],
  ['Add', 'Infinity', '1'],
  ['Register', 'null', 'true'],
  ['Register', '{"make":"VW","toString":"shadowed","describe":1}', 'true'],
  ['Haul', '{"make":"MAN","engine":{"litres":1,"extra":{"deep":true}}}'],
  ['Echo', ''],
  ['Echo', 'ünïcödé'],
  ['Upper', '["a","b"]'],
  ['Upper', '["a",2]'],
  ['Upper', '"a"'],
  ['Upper', '[]'],
  ['Count', '[{"make":"a"},{"make":"b"}]'],
  ['Count', '[{"make":1}]'],
  ['WrongReturn'],
  ...['undefined', 'null', 'true', 'zero', 'empty', 'buffer', 'array', 'object', 'date', 'car', 'tojson', 'nested-undefined', 'map', 'set', 'nested-map', 'getter', 'function-field', 'big', 'other'].map((w) => [
    'Give',
    w,
  ]),
  ...['error', 'type', 'string', 'object', 'undefined', 'message', 'reject'].map((h) => ['Fail', h]),
  ['Echo', 'refuse-before'],
  ['Echo', 'refuse-after'],
  ['Identity'],
  ['Untagged'],
  ['typed:Nope'],
  ['nosuch:Register', '{}', 'true'],
  ['org.example.plain:hello', 'ann'],
  ['org.example.plain:hello', 'ann', 'b', 'c'],
  ['org.example.plain:hello'],
  ['org.example.plain:count', 'x', 'y'],
  ['org.example.plain:_hidden'],
  ['org.example.plain:missing'],
  ['org.example.plain:beforeTransaction'],
  ['org.example.plain:getName'],
  [':hello', 'x'],
  ['typed:'],
  [''],
  ['org.hyperledger.fabric:GetMetadata'],
];

/** Calls to JavaScript chaincode whose types come from META-INF/metadata.json (no constructors: objects stay plain). */
const FROM_METADATA_FILE: string[][] = [
  ['Place', '{"title":"Dune","pages":412}', '3'],
  ['Place', '{"title":"Dune","pages":41.5}', '3'],
  ['Place', '{"pages":1}', '3'],
  ['Place', '{"title":"Dune","extra":1}', '3'],
  ['Place', '{"title":"Dune","tags":["a",2]}', '3'],
  // Left out: a Buffer-shaped JSON object for an object parameter. It becomes a Buffer, and AJV then
  // objects to every enumerable member of Buffer.prototype, which Node's Buffer has more of.
  ['Titles', '["a","b"]'],
  ['Titles', '[1]'],
  ['Weigh', '2'],
  ['Weigh', '2.5'],
  ['Weigh', '0'],
  ['Flag', 'TRUE'],
  ['Flag', '1'],
  ['Untyped', 'x', 'y'],
  ['Untyped', 'only'],
  ['NotInMetadata'],
  ['shelf:Place', '{"title":"T"}', '1'],
  ['org.hyperledger.fabric:GetMetadata'],
];

/** The same calls through fabric-shim 2.5's ChaincodeFromContract, in a separate Node process. */
function referenceAnswers(project: string, calls: string[][]): Answer[] {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-contract-ref-')), 'answers.json');
  const run = spawnSync(process.execPath, ['-r', path.join(REPO, 'test', 'support', 'ts-register.js'), path.join(REPO, 'test', 'support', 'fabric-contract-reference.js'), project, out], {
    input: JSON.stringify({ pem: pem('user1'), calls }),
    encoding: 'utf8',
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'critical' },
  });
  if (run.status !== 0) throw new Error(`reference runner failed: ${run.stderr}`);
  const answers = JSON.parse(fs.readFileSync(out, 'utf8')) as Answer[];
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return answers;
}

describe.each([
  ['decorated TypeScript contracts', 'contract-reference', DECORATED],
  ['JavaScript with a metadata file', 'contract-reference-metadata', FROM_METADATA_FILE],
])("the sandbox's fabric-contract-api answers as fabric-contract-api 2.5 does: %s", (_what, fixture, calls) => {
  const project = path.join(FIXTURES, fixture);
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  const world = new MemoryWorld();
  const weft: Answer[] = [];
  let reference: Answer[] = [];

  beforeAll(async () => {
    reference = referenceAnswers(project, calls);
    const { packageId } = await rt.install((await packageChaincode({ projectDir: project, label: 'reference' })).packageBytes);
    for (const args of calls) {
      const r = await rt.invoke(
        packageId,
        { chaincodeName: 'reference', channelId: 'mychannel', txId: 'tx-1', args: args.map((a) => Buffer.from(a)), creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'PeerOrgMSP' },
        { simulator: world.simulator('tx-1'), invokeChaincode: () => ({ status: 500, message: 'unused', payload: new Uint8Array(0) }) },
      );
      weft.push({ status: r.response.status, message: r.response.message, payload: Buffer.from(r.response.payload).toString('base64') });
    }
  }, 60_000);
  afterAll(() => rt.close());

  const readable = (answers: Answer[]) =>
    answers.map((a, i) => {
      const call = calls[i].join(' | ');
      if (a.threw !== undefined) return { call, threw: a.threw };
      return { call, status: a.status, message: a.message, payload: Buffer.from(a.payload, 'base64').toString('utf8') };
    });

  test('status, message and payload of every call', () => {
    expect(reference).toHaveLength(calls.length);
    const metadata = calls.length - 1;
    // Where Fabric's dispatcher throws, its peer answers nothing until the execute timeout; Weft fails the call at once.
    const mine = weft.map((a, i) => (reference[i].threw !== undefined && a.status === 500 && a.message !== '' ? reference[i] : a));
    expect(readable(mine).slice(0, metadata)).toEqual(readable(reference).slice(0, metadata));
  });

  test('the metadata GetMetadata returns', () => {
    const last = calls.length - 1;
    expect(reference[last].status).toBe(200);
    expect(JSON.parse(Buffer.from(weft[last].payload, 'base64').toString('utf8'))).toEqual(JSON.parse(Buffer.from(reference[last].payload, 'base64').toString('utf8')));
  });
});
