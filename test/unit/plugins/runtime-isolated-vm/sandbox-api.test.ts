import { createHash, createHmac } from 'node:crypto';
import * as path from 'node:path';
import { Proposal, SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ChannelHeader, Header, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { ChaincodeInvocation, ChaincodeResult } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';
import { creator, pem, USER1_ID } from '../../core/chaincode/fixtures';

const FIXTURES = path.join(__dirname, 'fixtures');
const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array(0)).toString('utf8');

function signedProposal(): Uint8Array {
  const ch = new ChannelHeader();
  ch.setChannelId('mychannel');
  ch.setTxId('tx-signed');
  const sh = new SignatureHeader();
  sh.setCreator(creator('user1'));
  sh.setNonce(Buffer.from('nonce'));
  const header = new Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const proposal = new Proposal();
  proposal.setHeader(header.serializeBinary());
  const sp = new SignedProposal();
  sp.setProposalBytes(proposal.serializeBinary());
  sp.setSignature(Buffer.from('sig'));
  return sp.serializeBinary();
}

describe('the in-sandbox fabric-shim and fabric-contract-api', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  const world = new MemoryWorld();
  const ids: Record<string, string> = {};
  let lastSim = world.simulator();

  async function call(name: string, args: string[], extra: Partial<ChaincodeInvocation> = {}): Promise<ChaincodeResult> {
    lastSim = world.simulator(extra.txId ?? 'tx-1');
    return rt.invoke(
      ids[name],
      {
        chaincodeName: name,
        channelId: 'mychannel',
        txId: 'tx-1',
        args: args.map((a) => Buffer.from(a)),
        creator: creator('user1'),
        timestamp: { seconds: 1_700_000_000, nanos: 5_000_000 },
        mspId: 'PeerOrgMSP',
        ...extra,
      },
      { simulator: lastSim, invokeChaincode: () => ({ status: 200, message: '', payload: new Uint8Array(0) }) },
    );
  }
  const probe = async (fn: string, extra: Partial<ChaincodeInvocation> = {}): Promise<Record<string, unknown>> => {
    const r = await call('lowlevel', [fn, 'p1'], extra);
    expect(r.response.status).toBe(200);
    return JSON.parse(text(r.response.payload)) as Record<string, unknown>;
  };

  beforeAll(async () => {
    for (const name of ['lowlevel', 'typed', 'serializer']) {
      ids[name] = (await rt.install((await packageChaincode({ projectDir: path.join(FIXTURES, name), label: name })).packageBytes)).packageId;
    }
  });
  afterAll(() => rt.close());

  test('shim.start chaincode: Init and Invoke dispatch by isInit; responses pass through', async () => {
    const init = await call('lowlevel', ['anything'], { isInit: true });
    expect(text(init.response.payload)).toBe('initialized');
    expect((await call('lowlevel', ['fail'])).response).toEqual({ status: 500, message: 'explicit failure', payload: new Uint8Array(0) });
    expect((await call('lowlevel', ['noResponse'])).response.message).toBe('Calling chaincode Invoke() has not called success or error.');
  });

  test('a stub argument that cannot leave the sandbox is named, not quoted (a function would quote its source)', async () => {
    expect((await probe('uncopyable')).errors).toEqual([
      'getState: argument 1 is a function, which cannot be passed to the peer',
      'getState: argument 1 is a symbol, which cannot be passed to the peer',
      'getState: argument 1 is an object that cannot be copied (it holds functions or symbols, or is a proxy), which cannot be passed to the peer',
    ]);
  });

  test("a hand-built response's status: fabric-shim's falsy test, numeric strings, and only 32-bit integers", async () => {
    const status = async (name: string) => (await call('lowlevel', ['status', name])).response;
    const noAnswer = { status: 500, message: 'Calling chaincode Invoke() has not called success or error.', payload: new Uint8Array(0) };
    expect(await status('zero')).toEqual(noAnswer);
    expect(await status('nan')).toEqual(noAnswer);
    expect(await status('text')).toEqual({ status: 200, message: 'hand-built', payload: Buffer.from('p') });
    expect(await status('negative')).toMatchObject({ status: -5, message: 'hand-built' });
    expect(await status('conflict')).toMatchObject({ status: 409, message: 'hand-built' });
    for (const [name, shown] of [['fraction', '1.5'], ['huge', '1099511627776'], ['infinite', 'Infinity']]) {
      expect(await status(name)).toEqual({ status: 500, message: `chaincode returned status ${shown}, which is not a 32-bit integer: hand-built`, payload: new Uint8Array(0) });
    }
  });

  test('argument bytes reach the stub unchanged, as binary strings (small) or arrays (large)', async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    const large = Buffer.alloc(5000, 0xc3);
    const r = await probe('args', { args: [Buffer.from('args'), every, large, new Uint8Array(0)] });
    expect(r.buf).toEqual(['61726773', every.toString('hex'), large.toString('hex'), '']);
  });

  test('transaction information getters', async () => {
    expect(await probe('args')).toEqual({ args: ['args', 'p1'], fp: { fcn: 'args', params: ['p1'] }, buf: ['61726773', '7031'] });
    const info = await probe('info', { transient: new Map([['secret', Buffer.from('s3')]]), binding: Buffer.from([0xab, 0xcd]) });
    expect(info).toEqual({
      txId: 'tx-1',
      channel: 'mychannel',
      mspid: 'Org1MSP',
      pemStart: '-----BEGIN CERTIFICATE-----',
      localMsp: 'PeerOrgMSP',
      seconds: 1_700_000_000,
      low: 1_700_000_000,
      unsigned: true,
      nanos: 5_000_000,
      date: '2023-11-14T22:13:20.005Z',
      binding: 'abcd',
      transient: [['secret', 's3']],
    });
    expect((await call('lowlevel', ['info'], { mspId: '' })).response.message).toBe('CORE_PEER_LOCALMSPID is unset in chaincode process');
  });

  test('getSignedProposal decodes the proposal the runtime was given', async () => {
    expect(await probe('signed')).toEqual({ none: true });
    expect(await probe('signed', { signedProposal: signedProposal() })).toEqual({ channel: 'mychannel', mspid: 'Org1MSP' });
  });

  test('composite keys and their errors', async () => {
    const r = await probe('composite');
    expect(r.key).toBe(Buffer.from('\u0000owner~asset\u0000alice\u0000a1\u0000').toString('hex'));
    expect(r.split).toEqual({ objectType: 'owner~asset', attributes: ['alice', 'a1'] });
    expect(r.plain).toEqual({ objectType: null, attributes: [] });
    expect(r.errors).toEqual(['object type or attribute not a non-zero length string', 'attributes must be an array', 'object type or attribute not a non-zero length string']);
    expect(r.rangeError).toBe('first character of the key [\u0000x] contains a null character which is not allowed');
  });

  test('setEvent: a non-empty name, and the last event wins', async () => {
    const r = await call('lowlevel', ['event']);
    expect(JSON.parse(text(r.response.payload))).toEqual({ errors: ['Event name must be a non-empty string'] });
    expect(r.event).toEqual({ eventName: 'second', payload: new Uint8Array(Buffer.from('2')) });
  });

  test('KeyEndorsementPolicy encodes a SignaturePolicyEnvelope byte-for-byte as fabric-shim', async () => {
    const r = await probe('sbe');
    expect(r.one).toBe(Buffer.concat([Buffer.from('120812060801120208001a0b12090a07', 'hex'), Buffer.from('Org1MSP')]).toString('hex'));
    expect(r.orgs).toEqual(['Org1MSP', 'Org2MSP']);
    expect(r.badRole).toBe('role type ADMIN does not exist');
    expect([...lastSim.metaWrites.keys()]).toEqual(['lowlevel\u0000\u0000k']);
  });

  test('ClientIdentity: Fabric getID, CA attributes; crypto.X509Certificate', async () => {
    expect(await probe('identity')).toEqual({
      id: USER1_ID,
      msp: 'Org1MSP',
      role: 'minter',
      missing: null,
      inherited: null,
      enrollment: true,
      wrong: false,
      subject: 'C=US\nST=North Carolina\nO=Hyperledger\nOU=client\nCN=user1',
      fields: { mspId: 'Org1MSP', id: USER1_ID, role: 'minter', idBytes: true },
      changedRole: 'changed',
      nextRole: 'minter',
    });
    expect(await probe('identityTwice')).toEqual({ changedRole: 'changed', nextRole: 'minter' });
    expect(pem('user1')).toContain('BEGIN CERTIFICATE');
  });

  test('Buffer, TextEncoder/TextDecoder and crypto.createHash behave as in Node; randomness is refused', async () => {
    const b = Buffer.from('héllo €𝄞', 'utf8');
    expect(await probe('encodings')).toEqual({
      hex: b.toString('hex'),
      base64: b.toString('base64'),
      back: 'héllo €𝄞',
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      sha512len: 64,
      te: [0xe2, 0x82, 0xac],
      td: '€',
      utd: 'ok',
      concat: 'ab',
      json: '{"type":"Buffer","data":[104,105]}',
      random: 'crypto.randomBytes is not available in chaincode: it would make endorsements non-deterministic',
    });
    expect(await probe('missing')).toEqual({ isBuffer: true, length: 0 });
  });

  test("util, crypto and the globals npm dependencies use behave as Node's", async () => {
    const hmac = (alg: string, key: string | Buffer): string => createHmac(alg, key).update('message').update(Buffer.from([0, 255])).digest('hex');
    expect(await probe('builtins')).toEqual({
      hmac: ['sha1', 'sha256', 'sha384', 'sha512', 'md5', 'sha3-256'].map((alg) => [hmac(alg, 'key'), hmac(alg, Buffer.alloc(200, 7))]),
      copied: createHash('sha256').update('abc').digest('hex'),
      original: createHash('sha256').update('ab').digest('hex'),
      chunked: createHash('sha256').update('xyzw').digest('hex'),
      equal: [true, false],
      hashes: true,
      failures: [
        'RangeError: Input buffers must have the same byte length',
        'Error: Invalid digest: nope',
        'DataCloneError: Symbol(x) could not be cloned.',
        'Error: crypto.randomFillSync is not available in chaincode: it would make endorsements non-deterministic',
      ],
      inherits: ['hi', true],
      doubled: 42,
      rejected: 'negative',
      viaCallback: [null, 2],
      types: [true, true, true, true, false],
      deprecate: 'still works',
      debuglog: false,
      custom: 'mine',
      clone: [true, true, true, 0, [1, 2], '/x/g'],
      micro: 'ran',
    });
  });

  test('typed contract: @Object argument inflated to its class, boolean conversion, hooks and custom context', async () => {
    const r = await call('typed', ['Register', '{"make":"VW"}', ' TRUE ']);
    expect(r.response.status).toBe(200);
    expect(JSON.parse(text(r.response.payload))).toEqual({
      car: { make: 'VW', seats: 4, electric: false },
      isCar: true,
      eager: true,
      trail: ['before', 'around:Register', 'tx'],
    });
  });

  test('typed contract: validation errors use fabric-contract-api texts; a result is not checked against @Returns', async () => {
    expect((await call('typed', ['Register', '{"make":"VW","seats":"four"}', 'true'])).response.message).toBe('Unable to validate parameter due to ["should be number"]');
    expect((await call('typed', ['Register', '{"make":"VW"}', 'yes'])).response.message).toBe('fromBuffer could not convert data to boolean');
    // As in fabric-contract-api since 1.4: @Returns describes the result in the metadata but does not check it.
    expect((await call('typed', ['cars:WrongReturn'])).response).toEqual({ status: 200, message: '', payload: Buffer.from('seven') });
    expect((await call('typed', ['Hidden'])).response.message).toBe("You've asked to invoke a function that does not exist: Hidden");
    // fabric-contract-api converts each element of a string[] from its JSON text, quotes included.
    expect(text((await call('typed', ['Many', '["a","b"]'])).response.payload)).toBe('["\\"A\\"","\\"B\\""]');
    expect((await call('typed', ['Nothing'])).response).toEqual({ status: 200, message: '', payload: new Uint8Array(0) });
  });

  test('typed contract metadata: @Object schemas, @Info, @Param and the default contract', async () => {
    const md = JSON.parse(text((await call('typed', ['org.hyperledger.fabric:GetMetadata'])).response.payload)) as {
      info: unknown;
      contracts: Record<string, { contractInstance: unknown; info: unknown; transactions: { name: string; parameters?: unknown[] }[] }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(md.info).toEqual({ version: '2.0.0', title: 'typed' });
    expect(md.contracts.cars.contractInstance).toEqual({ name: 'cars', default: true });
    expect(md.contracts.cars.info).toEqual({ title: 'Cars', description: 'typed parameters', name: 'CarContract', version: '2' });
    expect(md.contracts.cars.transactions.map((t) => t.name)).toEqual(['Register', 'Many', 'Haul', 'WrongReturn', 'Nothing']);
    expect(md.contracts.cars.transactions[1].parameters).toEqual([{ name: 'ids', description: 'the ids', schema: { type: 'array', items: { type: 'string' } } }]);
    expect(md.contracts.cars.transactions[3]).toMatchObject({ name: 'WrongReturn', returns: { type: 'number' } });
    expect(md.components.schemas).toEqual({
      Car: { $id: 'Car', type: 'object', properties: { make: { type: 'string' }, seats: { type: 'number' }, electric: { type: 'boolean' } } },
      // fabric-contract-api's shape for a subclass: its own properties, then its parent.
      Truck: { $id: 'Truck', allOf: [{ type: 'object', properties: { axles: { type: 'number' }, load: { type: 'number' } } }, { $ref: 'Car' }] },
    });
    const hauled = await call('typed', ['Haul', '{"make":"MAN","axles":3}']);
    expect(JSON.parse(text(hauled.response.payload))).toEqual({ truck: { make: 'MAN', seats: 4, electric: false, axles: 3, load: 0 }, isTruck: true });
    expect((await call('typed', ['Haul', '{"make":"MAN","axles":"three"}'])).response.message).toBe('Unable to validate parameter due to ["should be number"]');
    expect((await call('typed', ['Haul', '{"make":7}'])).response.message).toBe('Unable to validate parameter due to ["should be string"]');
  });

  test('custom serializers from the main module; afterTransaction can fail a transaction; unknownTransaction override', async () => {
    expect(text((await call('serializer', ['Say', '  hi  '])).response.payload)).toBe('HI!');
    expect((await call('serializer', ['Say', 'boom'])).response.message).toBe('afterTransaction refused the result');
    const unknown = await call('serializer', ['Whatever']);
    expect(unknown.response).toEqual({ status: 200, message: '', payload: new Uint8Array(0) });
    expect([...lastSim.writes.entries()].map(([k, v]) => [k, text(v)])).toEqual([['serializer\u0000\u0000unknown', 'Whatever']]);
  });
});
