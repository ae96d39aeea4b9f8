/**
 * The host's default locale (from LANG / LC_ALL when the peer started) and time zone reach
 * everything in `Intl` and every `toLocale…` method, and they differ between endorsers: two peers
 * would format, compare and upper-case text differently. Within the sandbox, an absent locale is
 * {@link SANDBOX_LOCALE} and an absent time zone is UTC, as in a Fabric chaincode container built
 * from one image.
 */

/** The locale chaincode gets when it names none: what Fabric's Node chaincode image defaults to. */
export const SANDBOX_LOCALE = 'en-US';

type Fn = (this: unknown, ...args: unknown[]) => unknown;

const withLocale = (locales: unknown): unknown => (locales === undefined ? SANDBOX_LOCALE : locales);

/** Options with `timeZone: 'UTC'` when they name none (an explicit `undefined` included), inherited options kept. */
function withUtc(options: unknown): unknown {
  if (options === undefined || options === null) return { timeZone: 'UTC' };
  if (typeof options !== 'object' || (options as { timeZone?: unknown }).timeZone !== undefined) return options;
  return Object.create(options, { timeZone: { value: 'UTC', enumerable: true } });
}

const INTL_CONSTRUCTORS = ['Collator', 'DateTimeFormat', 'DisplayNames', 'DurationFormat', 'ListFormat', 'NumberFormat', 'PluralRules', 'RelativeTimeFormat', 'Segmenter'];

function pinIntl(intl: Record<string, unknown>): void {
  for (const name of INTL_CONSTRUCTORS) {
    const ctor = intl[name];
    if (typeof ctor !== 'function') continue;
    const args = (list: unknown[]): unknown[] => {
      const [locales, options, ...rest] = list;
      return [withLocale(locales), name === 'DateTimeFormat' ? withUtc(options) : options, ...rest];
    };
    const pinned = new Proxy(ctor, {
      construct: (target, list: unknown[], newTarget) => Reflect.construct(target as new (...a: unknown[]) => object, args(list), newTarget),
      // `Intl.DateTimeFormat()` without `new` is a construction too.
      apply: (target, self, list: unknown[]) => Reflect.apply(target as Fn, self, args(list)),
    });
    intl[name] = pinned;
    // `new Intl.Collator().constructor` must not hand back the unpinned constructor.
    Object.defineProperty((ctor as { prototype: object }).prototype, 'constructor', { value: pinned, writable: true, configurable: true });
  }
}

/** Wraps `proto[name]` so that its locales argument (at `localesAt`) and, for dates, its options default as above. */
function pinMethod(proto: object, name: string, localesAt: number, dates = false): void {
  const real = (proto as Record<string, unknown>)[name];
  if (typeof real !== 'function') return;
  const wrapped = {
    [name](this: unknown, ...list: unknown[]): unknown {
      const args = list.slice(0, Math.max(list.length, localesAt + 1));
      args[localesAt] = withLocale(args[localesAt]);
      if (dates) args[localesAt + 1] = withUtc(args[localesAt + 1]);
      return (real as Fn).apply(this, args);
    },
  }[name] as Fn;
  Object.defineProperty(wrapped, 'length', { value: (real as Fn).length });
  Object.defineProperty(proto, name, { value: wrapped, writable: true, configurable: true });
}

/** Pins the locale and time zone of `Intl` and of the built-in `toLocale…` methods. */
export function pinLocale(global: Record<string, unknown>, RealDate: DateConstructor): void {
  const intl = global.Intl as Record<string, unknown> | undefined;
  if (intl !== undefined) pinIntl(intl);
  for (const name of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString']) pinMethod(RealDate.prototype, name, 0, true);
  pinMethod(Number.prototype, 'toLocaleString', 0);
  pinMethod(BigInt.prototype, 'toLocaleString', 0);
  pinMethod(String.prototype, 'localeCompare', 1);
  pinMethod(String.prototype, 'toLocaleUpperCase', 0);
  pinMethod(String.prototype, 'toLocaleLowerCase', 0);
}
