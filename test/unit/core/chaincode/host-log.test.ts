import type { ChaincodeLog, ChaincodeLogEntry } from '../../../../core/chaincode/chaincode-runtime';
import { MAX_LOG_MESSAGE_CHARS } from '../../../../core/chaincode/host-api';
import { LoadLog, MAX_LOG_ENTRIES_PER_TX } from '../../../../core/chaincode/host-log';

describe('LoadLog', () => {
  const sink = (): ChaincodeLog & { entries: ChaincodeLogEntry[] } => {
    const entries: ChaincodeLogEntry[] = [];
    return { level: 'debug', entries, write: (e) => void entries.push(e) };
  };

  it('keeps what a module logs while loading as cut as a transaction would, and at most as many entries', () => {
    const log = new LoadLog();
    const big = 'x'.repeat(2 * 1024 * 1024);
    for (let i = 0; i < MAX_LOG_ENTRIES_PER_TX + 50; i++) log.record('info', 'l'.repeat(1000), big);
    const held = (log as unknown as { entries: [string, string, string][] }).entries;
    expect(held).toHaveLength(MAX_LOG_ENTRIES_PER_TX);
    // Held until the first transaction (maybe never): the copy must be small, not the module's string.
    for (const [, logger, message] of held) {
      expect(logger.length).toBeLessThan(200);
      expect(message.length).toBeLessThan(MAX_LOG_MESSAGE_CHARS + 200);
    }
    const out = sink();
    log.flush(out, 'ch');
    expect(out.entries).toHaveLength(MAX_LOG_ENTRIES_PER_TX);
    expect(out.entries[0]).toMatchObject({ channelId: 'ch', txId: '', level: 'info', message: expect.stringMatching(/^x{4096}… \(\d+ more characters\)$/) });
  });

  it('drops entries of unknown levels and turns other messages into text', () => {
    const log = new LoadLog();
    log.record({ toString: () => 'info' }, 'a', 'object level');
    log.record('verbose', 'a', 'unknown level');
    log.record('warn', 42, { toString: () => 'an object' });
    const out = sink();
    log.flush(out, 'ch');
    expect(out.entries.map((e) => [e.level, e.logger, e.message])).toEqual([['warn', 'console', 'an object']]);
  });

  it('records nothing once stopped', () => {
    const log = new LoadLog();
    log.stopRecording();
    log.record('info', 'a', 'late');
    const out = sink();
    log.flush(out, 'ch');
    expect(out.entries).toEqual([]);
  });
});
