import { ConfigError } from '../../../../core/errors';
import { LogSpec } from '../../../../core/node/log-spec';
import { NodeLogging } from '../../../../core/node/logger';
import { ChaincodeLogs } from '../../../../core/peer/endorser/chaincode-logs';
import { capturedLog } from '../../../support/captured-log';

describe('LogSpec (Fabric logging spec)', () => {
  it('gives each logger the level of the longest listed dot-prefix of its name, else the bare level', () => {
    const spec = LogSpec.parse('info:gossip,msp=debug:gossip.election=error:peer.chaincode.=trace');
    expect(spec.levelFor('gossip')).toBe('debug');
    expect(spec.levelFor('gossip.state')).toBe('debug');
    expect(spec.levelFor('gossip.election.leader')).toBe('error');
    expect(spec.levelFor('gossipx')).toBe('info');
    expect(spec.levelFor('msp')).toBe('debug');
    // A trailing dot names that logger only, not its children.
    expect(spec.levelFor('peer.chaincode')).toBe('trace');
    expect(spec.levelFor('peer.chaincode.basic')).toBe('info');
    expect(spec.toString()).toBe('gossip.election=error:gossip=debug:msp=debug:peer.chaincode.=trace:info');
  });

  it("reads Fabric's level names onto pino's, in either case, and keeps Weft's quiet default", () => {
    expect(LogSpec.parse('WARNING').defaultLevel).toBe('warn');
    expect(LogSpec.parse('payload').defaultLevel).toBe('trace');
    expect(LogSpec.parse('critical').defaultLevel).toBe('error');
    expect(LogSpec.parse('PANIC').defaultLevel).toBe('fatal');
    expect(LogSpec.parse('silent').defaultLevel).toBe('silent');
    expect(LogSpec.parse('').toString()).toBe('warn');
    expect(LogSpec.parse('gateway=debug').toString()).toBe('gateway=debug:warn');
    // The last bare level wins, as in Fabric.
    expect(LogSpec.parse('debug:gateway=info:error').defaultLevel).toBe('error');
  });

  it.each([
    ['loud', 'unknown level', 'loud'],
    ['info:gateway=loud', 'unknown level', 'gateway=loud'],
    ['info:=debug', 'no logger named', '=debug'],
    ['info:a=b=debug', "more than one '='", 'a=b=debug'],
    ['info:.gossip=debug', 'bad logger name', '.gossip=debug'],
    ['info:gossip..state=debug', 'bad logger name', 'gossip..state=debug'],
    ['info:gos sip=debug', 'bad logger name', 'gos sip=debug'],
    ['info:a,,b=debug', 'bad logger name', 'a,,b=debug'],
  ])('refuses %j: %s, naming the segment', (spec, what, segment) => {
    let error: unknown;
    try {
      LogSpec.parse(spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'LOG_SPEC_INVALID', details: { spec, segment } });
    expect((error as Error).message).toContain(what);
  });
});

describe('NodeLogging', () => {
  it('levels each named logger by the spec, re-levels them all on activate, and changes nothing on a bad spec', () => {
    const { base, lines } = capturedLog();
    const logging = new NodeLogging('warn:committer=debug', { node: 'peer0' }, base);
    const committer = logging.logger('committer');
    const gateway = logging.logger('gateway', { extra: 1 });
    committer.debug('validated');
    gateway.info('dropped: below warn');
    gateway.warn('slow endorser');
    expect(lines.map((l) => [l.component, l.node, l.msg])).toEqual([
      ['committer', 'peer0', 'validated'],
      ['gateway', 'peer0', 'slow endorser'],
    ]);
    expect(lines[1]).toMatchObject({ extra: 1 });

    logging.activate('error:gateway=info');
    expect([committer.level, gateway.level, logging.spec]).toEqual(['error', 'info', 'gateway=info:error']);
    expect(logging.logger('committer.txvalidator').level).toBe('error');
    expect(() => logging.activate('error:gateway=loud')).toThrow(/unknown level/);
    expect([committer.level, gateway.level, logging.spec]).toEqual(['error', 'info', 'gateway=info:error']);
  });

  it('keeps two nodes in one process apart', () => {
    const { base } = capturedLog();
    const a = new NodeLogging('warn', { node: 'a' }, base);
    const b = new NodeLogging('warn', { node: 'b' }, base);
    const [la, lb] = [a.logger('gateway'), b.logger('gateway')];
    a.activate('debug');
    expect([la.level, lb.level]).toEqual(['debug', 'warn']);
  });
});

describe('ChaincodeLogs', () => {
  it("puts each chaincode's entries under peer.chaincode.<name>, at the level the node's spec gives that name", () => {
    const { base, lines } = capturedLog();
    const logging = new NodeLogging('warn:peer.chaincode.basic=debug', { node: 'peer0' }, base);
    const logs = new ChaincodeLogs(logging);
    expect(logs.of('basic')).toBe(logs.of('basic'));
    expect([logs.of('basic').level, logs.of('other').level]).toEqual(['debug', 'warn']);
    logs.of('basic').write({ level: 'info', logger: 'assets:audit', message: 'created asset1', channelId: 'mychannel', txId: 'abc' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, component: 'peer.chaincode.basic', node: 'peer0', channel: 'mychannel', txId: 'abc', logger: 'assets:audit', msg: 'created asset1' }),
    ]);
    logging.activate('error:peer.chaincode=info');
    expect([logs.of('basic').level, logs.of('other').level]).toEqual(['info', 'info']);
    logging.activate('fatal');
    expect(logs.of('basic').level).toBeUndefined();
  });
});
