import { expect } from '@jest/globals';
import { WeftError } from '../../core/errors';

/** The typed error `fn` throws (the test fails if it throws none or another kind). */
export function refusal(fn: () => unknown): WeftError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WeftError);
    return err as WeftError;
  }
  throw new Error('expected a refusal, got none');
}
