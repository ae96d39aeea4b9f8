import { execFileSync } from 'node:child_process';
import { shellWord } from '../../../../core/node/shell-word';

/** The words `sh` reads from `line`, one per argument, as a pasted command would get them. */
function wordsOf(line: string): string[] {
  const out = execFileSync('sh', ['-c', `for w in ${line}; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellWord', () => {
  it('leaves plain words and paths exactly as they are', () => {
    for (const word of ['net', '/tmp/weft-abc/net', './net', 'Org1', 'peer0.org1.example.com', 'a_b@c%d+e=f:g,h', '--ca']) expect(shellWord(word)).toBe(word);
  });

  it('single-quotes a word with a space', () => {
    expect(shellWord('/tmp/my net')).toBe(`'/tmp/my net'`);
  });

  it("writes a single quote as '\\''", () => {
    expect(shellWord("/home/o'brien/net")).toBe(`'/home/o'\\''brien/net'`);
  });

  it("writes the empty word as ''", () => {
    expect(shellWord('')).toBe(`''`);
  });

  it('quotes words the shell would expand: $, *, ~, backquotes', () => {
    expect(shellWord('$HOME/net')).toBe(`'$HOME/net'`);
    expect(shellWord('/tmp/*')).toBe(`'/tmp/*'`);
    expect(shellWord('~/net')).toBe(`'~/net'`);
    expect(shellWord('a`b`')).toBe(`'a\`b\`'`);
  });

  it('leaves a leading - as it is: quotes would not keep a command from reading it as a flag', () => {
    expect(shellWord('-net')).toBe('-net');
    expect(shellWord('-my net')).toBe(`'-my net'`);
  });

  it('gives sh back each word exactly, whatever it holds', () => {
    const words = ['/tmp/my net', "/home/o'brien/net", '', '$HOME', '/tmp/*', "''", "it's a 'net'", 'tab\there', 'line\nbreak', '\\', '"', ';rm -rf x', '&&', '|', '#c', 'é/ü', '!x', '{a,b}', '[ab]'];
    expect(wordsOf(words.map(shellWord).join(' '))).toEqual(words);
  });
});
