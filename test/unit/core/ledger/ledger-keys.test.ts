import {
  compareUtf8,
  createCompositeKey,
  isCompositeKey,
  partialCompositeKeyRange,
  splitCompositeKey,
  validateChannelId,
  validateSimpleRangeKey,
  validateBlockWriteKey,
  validateWriteKey,
} from '../../../../core/ledger/ledger-keys';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return undefined;
};

describe('ledger keys', () => {
  it('builds and splits Fabric composite keys', () => {
    const k = createCompositeKey('asset', ['blue', '7']);
    expect(k).toBe('\u0000asset\u0000blue\u00007\u0000');
    expect(splitCompositeKey(k)).toEqual({ objectType: 'asset', attributes: ['blue', '7'] });
    expect(splitCompositeKey(createCompositeKey('t', []))).toEqual({ objectType: 't', attributes: [] });
    expect(splitCompositeKey('plain')).toEqual({ objectType: undefined, attributes: [] });
    expect(isCompositeKey('\u0000x')).toBe(false);
    expect(partialCompositeKeyRange('asset', ['blue'])).toEqual({ startKey: '\u0000asset\u0000blue\u0000', endKey: '\u0000asset\u0000blue\u0000\u{10FFFF}' });
  });

  it('rejects composite parts Fabric rejects', () => {
    expect(code(() => createCompositeKey('', []))).toBe('LEDGER_BAD_COMPOSITE_KEY');
    expect(code(() => createCompositeKey('a\u0000b', []))).toBe('LEDGER_BAD_COMPOSITE_KEY');
    expect(code(() => createCompositeKey('a', ['x\u{10FFFF}']))).toBe('LEDGER_BAD_COMPOSITE_KEY');
    expect(code(() => createCompositeKey('a', [''] as string[]))).toBe('LEDGER_BAD_COMPOSITE_KEY');
    expect(code(() => createCompositeKey('a', 'x' as unknown as string[]))).toBe('LEDGER_BAD_COMPOSITE_KEY');
  });

  it('allows composite keys but not other U+0000-prefixed keys for writes; range bounds as the shim', () => {
    const limits = { maxKeySize: 32 };
    expect(validateWriteKey('cc', createCompositeKey('a', ['b']), limits)).toBe('\u0000a\u0000b\u0000');
    expect(code(() => validateWriteKey('cc', '\u0000a', limits))).toBe('LEDGER_BAD_KEY');
    // Fabric's InitializedKeyName: the peer writes it for an init-required chaincode's Init.
    expect(validateWriteKey('cc', '\u0000\u{10FFFF}initialized', limits)).toBe('\u0000\u{10FFFF}initialized');
    // A block's write is checked only as Fabric's LevelDB state would: any non-empty key.
    expect(validateBlockWriteKey('cc', '\u0000a')).toBe('\u0000a');
    expect(validateBlockWriteKey('cc', 'é'.repeat(17))).toBe('é'.repeat(17));
    expect(code(() => validateBlockWriteKey('cc', ''))).toBe('LEDGER_BAD_KEY');
    expect(code(() => validateWriteKey('cc', 'é'.repeat(17), limits))).toBe('LEDGER_KEY_TOO_LARGE'); // 34 UTF-8 bytes
    expect(code(() => validateSimpleRangeKey('\u0000a'))).toBe('LEDGER_BAD_KEY');
    expect(code(() => validateSimpleRangeKey('a'))).toBeUndefined();
  });

  it('validates channel ids as Fabric does', () => {
    expect(validateChannelId('mychannel.v2-x')).toBe('mychannel.v2-x');
    for (const bad of ['', 'Upper', '1abc', 'a/b', '../x', 'a'.repeat(250), 7]) expect(code(() => validateChannelId(bad))).toBe('LEDGER_BAD_CHANNEL_ID');
  });

  it('orders strings by UTF-8 bytes', () => {
    const alphabet = ['a', 'z', '\u0000', '\u007f', '\u00e9', '\u0800', '\uE000', '\uFFFD', '\u{1F600}', '\u{10FFFF}', 'ab'];
    let seed = 3;
    const pick = (): string => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return alphabet[seed % alphabet.length];
    };
    for (let i = 0; i < 2000; i++) {
      const a = pick() + pick() + pick();
      const b = pick() + pick();
      expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }
  });
});
