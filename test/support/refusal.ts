import { expect } from '@jest/globals';
import { WeftError } from '../../core/errors';

/**
 * The typed error `fn` throws (the test fails if it throws none or another kind): a `WeftError`,
 * or one of `kind` where the test names that subclass.
 */
export function refusal(fn: () => unknown): WeftError;
export function refusal<E extends WeftError>(fn: () => unknown, kind: abstract new (...args: never[]) => E): E;
export function refusal(fn: () => unknown, kind: abstract new (...args: never[]) => WeftError = WeftError): WeftError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(kind);
    return err as WeftError;
  }
  throw new Error('expected a refusal, got none');
}
