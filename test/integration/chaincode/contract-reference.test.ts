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

const PROJECT = path.join(__dirname, 'fixtures', 'contract-reference');
const REPO = path.join(__dirname, '..', '..', '..');

/** Every call, with the arguments a client would send: typed conversions, validation, dispatch, results, errors. */
const CALLS: string[][] = [
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

/** The same calls through fabric-shim 2.5's ChaincodeFromContract, in a separate Node process. */
function referenceAnswers(): Answer[] {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-contract-ref-')), 'answers.json');
  const run = spawnSync(process.execPath, ['-r', path.join(REPO, 'test', 'support', 'ts-register.js'), path.join(REPO, 'test', 'support', 'fabric-contract-reference.js'), PROJECT, out], {
    input: JSON.stringify({ pem: pem('user1'), calls: CALLS }),
    encoding: 'utf8',
    env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'critical' },
  });
  if (run.status !== 0) throw new Error(`reference runner failed: ${run.stderr}`);
  const answers = JSON.parse(fs.readFileSync(out, 'utf8')) as Answer[];
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return answers;
}

describe("the sandbox's fabric-contract-api answers every call as fabric-contract-api 2.5 does", () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  const world = new MemoryWorld();
  const weft: Answer[] = [];
  let reference: Answer[] = [];

  beforeAll(async () => {
    reference = referenceAnswers();
    const { packageId } = await rt.install((await packageChaincode({ projectDir: PROJECT, label: 'reference' })).packageBytes);
    for (const args of CALLS) {
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
      const call = CALLS[i].join(' | ');
      if (a.threw !== undefined) return { call, threw: a.threw };
      return { call, status: a.status, message: a.message, payload: Buffer.from(a.payload, 'base64').toString('utf8') };
    });

  test('status, message and payload of every call', () => {
    expect(reference).toHaveLength(CALLS.length);
    const metadata = CALLS.length - 1;
    // Where Fabric's dispatcher throws, its peer answers nothing until the execute timeout; Weft fails the call at once.
    const mine = weft.map((a, i) => (reference[i].threw !== undefined && a.status === 500 && a.message !== '' ? reference[i] : a));
    expect(readable(mine).slice(0, metadata)).toEqual(readable(reference).slice(0, metadata));
  });

  test('the metadata GetMetadata returns', () => {
    const last = CALLS.length - 1;
    expect(reference[last].status).toBe(200);
    expect(JSON.parse(Buffer.from(weft[last].payload, 'base64').toString('utf8'))).toEqual(JSON.parse(Buffer.from(reference[last].payload, 'base64').toString('utf8')));
  });
});
