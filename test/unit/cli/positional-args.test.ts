import { Args, Flags, Parser } from '@oclif/core';
import { parseTransient, positionalsAfter, transientFlag } from '../../../cli/common-flags';

describe('chaincode arguments from the command line', () => {
  const parse = (argv: string[]) =>
    Parser.parse(argv, {
      strict: false,
      args: { dir: Args.string({ required: true }), function: Args.string({ required: true }) },
      flags: { name: Flags.string(), org: Flags.string(), json: Flags.boolean() },
    });

  it('keeps the order given, repeated values included, with flags anywhere between them', async () => {
    const { raw } = await parse(['./net', '--name', 'basic', 'CreateAsset', 'a2', 'blue', '1', '--org', 'Org2', 'Ann', '1', '--json']);
    expect(positionalsAfter(raw, 2)).toEqual(['a2', 'blue', '1', 'Ann', '1']);
  });

  it('passes negative numbers, empty strings, and values that look like flags after --', async () => {
    const { raw } = await parse(['./net', '--name', 'basic', 'Put', '', '-5', '--', '--json', 'x']);
    expect(positionalsAfter(raw, 2)).toEqual(['', '-5', '--json', 'x']);
  });

  it('takes one transient entry per --transient, so the function and its arguments may follow it', async () => {
    const { raw, flags, args } = await Parser.parse(['./net', '--transient', 'price=100', 'SetPrice', 'item1', '--transient', 'note=a=b'], {
      strict: false,
      args: { dir: Args.string({ required: true }), function: Args.string({ required: true }) },
      flags: { transient: transientFlag },
    });
    expect(args.function).toBe('SetPrice');
    expect(positionalsAfter(raw, 2)).toEqual(['item1']);
    expect(parseTransient(flags.transient)).toEqual({ price: '100', note: 'a=b' });
    expect(() => parseTransient(['price'])).toThrow(expect.objectContaining({ code: 'BAD_TRANSIENT', details: { field: '--transient', value: 'price' } }));
  });
});
