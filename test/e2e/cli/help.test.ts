import { runCli } from './run-cli';

/** What `--help` shows a newcomer, from the real CLI. */
describe('weft --help', () => {
  it.each(['invoke', 'query'])('chaincode %s shows one network directory and one function, then the variadic arguments', async (verb) => {
    const r = await runCli(['chaincode', verb, '--help']);
    expect(r.code).toBe(0);
    const usage = r.stdout.slice(r.stdout.indexOf('USAGE'), r.stdout.indexOf('ARGUMENTS')).replace(/\s+/g, ' ');
    // oclif's default marks every argument of a command taking variadic ones "DIR... FUNCTION...".
    expect(usage).toContain(`$ weft chaincode ${verb} DIR FUNCTION [ARGS...] -n <value>`);
    expect(usage).not.toMatch(/DIR\.\.\./);
    expect(r.stdout).toMatch(/\[ARGS\.\.\.\]\s+the function's arguments/);
  });
});
