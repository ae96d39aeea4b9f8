import * as fs from 'node:fs';
import * as path from 'node:path';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import {
  VALIDATION_CODES,
  isRetryableValidationCode,
  validationCodeInfo,
  validationCodeName,
  validationCodesMarkdown,
} from '../../../../core/protocol/validation-codes';

const REPO = path.resolve(__dirname, '../../../..');

/** Where Weft's peer decides a transaction's code: the validator, the committer and the ledger's MVCC check. */
const DECIDING_SOURCES = ['core/peer/validation', 'core/peer/channel', 'core/ledger/mvcc-validator.ts', 'core/ledger/kv-ledger.ts'];

function sourceFiles(entry: string): string[] {
  const full = path.join(REPO, entry);
  if (!fs.statSync(full).isDirectory()) return [full];
  return fs.readdirSync(full, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(full, f));
}

/**
 * Every code those sources name: `TxValidationCode.X`, and the numeric constants some files use
 * instead (`const TX_INVALID_CHAINCODE = 25`), whose number must be the code's.
 */
function codesNamedInSources(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const note = (name: string, file: string): void => {
    const files = found.get(name) ?? [];
    files.push(path.relative(REPO, file));
    found.set(name, files);
  };
  for (const file of DECIDING_SOURCES.flatMap(sourceFiles)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/TxValidationCode\.([A-Z_]+)/g)) note(m[1], file);
    for (const m of text.matchAll(/\bTX_([A-Z_]+)\s*=\s*(\d+)\b/g)) {
      expect([m[1], TxValidationCode[m[1] as keyof typeof TxValidationCode]]).toEqual([m[1], Number(m[2])]);
      note(m[1], file);
    }
  }
  return found;
}

describe('the validation code catalogue', () => {
  it('has one entry for every TxValidationCode of fabric-protos, with its number', () => {
    const protoCodes = Object.entries(TxValidationCode)
      .map(([name, code]) => ({ code: code as number, name }))
      .sort((a, b) => a.code - b.code);
    expect(VALIDATION_CODES.map((c) => ({ code: c.code, name: c.name }))).toEqual(protoCodes);
    for (const c of VALIDATION_CODES) {
      expect([c.name, c.when.length > 20, c.advice.length > 5]).toEqual([c.name, true, true]);
    }
  });

  it('marks as set by Weft exactly the codes its validator, committer and MVCC check name', () => {
    const named = codesNamedInSources();
    // The block validator fills its flags with NOT_VALIDATED before the checks and every envelope
    // leaves with a decided code; a committed block never carries it.
    named.delete('NOT_VALIDATED');
    const setByWeft = VALIDATION_CODES.filter((c) => c.setBy !== undefined).map((c) => c.name);
    expect([...named.keys()].sort()).toEqual([...setByWeft].sort());
    // A source naming a code fabric-protos lacks would be a typo the catalogue cannot explain.
    for (const name of named.keys()) expect(validationCodeInfo(name)?.name).toBe(name);
  });

  it('lets only read conflicts be retried by endorsing again', () => {
    expect(VALIDATION_CODES.filter((c) => c.retryable).map((c) => c.name)).toEqual(['MVCC_READ_CONFLICT', 'PHANTOM_READ_CONFLICT']);
    expect(isRetryableValidationCode(TxValidationCode.MVCC_READ_CONFLICT)).toBe(true);
    expect(isRetryableValidationCode('PHANTOM_READ_CONFLICT')).toBe(true);
    expect(isRetryableValidationCode(TxValidationCode.DUPLICATE_TXID)).toBe(false);
    expect(isRetryableValidationCode(TxValidationCode.ENDORSEMENT_POLICY_FAILURE)).toBe(false);
    expect(isRetryableValidationCode(200)).toBe(false);
    expect(validationCodeInfo(TxValidationCode.DUPLICATE_TXID)?.advice).toMatch(/never resubmit the same signed envelope/i);
  });

  it('names a code fabric-protos does not define by its number', () => {
    expect(validationCodeName(11)).toBe('MVCC_READ_CONFLICT');
    expect(validationCodeName(200)).toBe('UNKNOWN(200)');
    expect(validationCodeInfo(200)).toBeUndefined();
    expect(validationCodeInfo('NO_SUCH_CODE')).toBeUndefined();
  });

  it('renders a Markdown table with one row per code and no stray cell separators', () => {
    const lines = validationCodesMarkdown().split('\n');
    expect(lines).toHaveLength(VALIDATION_CODES.length + 2);
    for (const line of lines.slice(2)) expect(line.split(' | ')).toHaveLength(5);
  });
});
