/**
 * What `require('tty')` gives chaincode: no file descriptor is a terminal (as browserify's tty port
 * says), so libraries that check for colour output as they load (winston's diagnostics, debug,
 * supports-color) load, and print plain text.
 */
export const isatty = (): boolean => false;

function noTerminal(name: string): new () => never {
  return class {
    constructor() {
      throw new Error(`tty.${name} is not available in chaincode: it has no terminal`);
    }
  } as unknown as new () => never;
}

export const ReadStream = noTerminal('ReadStream');
export const WriteStream = noTerminal('WriteStream');

export default { isatty, ReadStream, WriteStream };
