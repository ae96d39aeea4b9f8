import { expect } from '@jest/globals';
import { ConfigError } from '../../core/errors';

/** The ConfigError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}
