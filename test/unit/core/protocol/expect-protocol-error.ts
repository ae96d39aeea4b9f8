import { ProtocolError } from '../../../../core/errors';

/** Runs `fn` and asserts it throws a ProtocolError with `code` whose message mentions `pathFragment`. */
export function expectProtocolError(fn: () => unknown, code: string, pathFragment?: string): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  const err = caught as ProtocolError;
  expect(err.code).toBe(code);
  if (pathFragment !== undefined) expect(err.message).toContain(pathFragment);
  return err;
}
