/**
 * Lookalike's own errors and how anything thrown becomes words on the screen.
 * Realm-neutral (page, worker and Node tools).
 *
 * A LookalikeError's message is written for whoever reads it (the shopper in
 * the app, the developer running a tool): what happened and what to do. The
 * lower-level failure behind it, if any, goes in `cause`, never into the words.
 */

/**
 * The base of every error kind Lookalike throws on purpose. Each kind states
 * its `name` as a string (the compiler asks for it): the shipped bundles are
 * minified, which renames classes (`class CameraError` becomes `t`), so a
 * name taken from the class would be lost in the app and in what crosses
 * from the worker to the page (a thrown error's `name` and `message`).
 */
export abstract class LookalikeError extends Error {
  abstract override name: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What to show for anything thrown: an error's message, or the value itself. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `name` of an Error or DOMException (or of an error rebuilt from a message); undefined for anything else. */
export function errorName(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'name' in e && typeof (e as { name: unknown }).name === 'string' ? (e as { name: string }).name : undefined;
}

/** True for a QuotaExceededError (the device is full) anywhere in the cause chain. */
export function isQuotaError(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 5; depth++) {
    if (errorName(cur) === 'QuotaExceededError') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * `value` quoted for a message, shortened to `max` characters (an outside
 * string may be megabytes long: a message repeats only its start), with
 * control characters shown as escapes.
 */
export function quoted(value: string, max = 60): string {
  const short = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(short);
}

/** Any outside value named in a message, briefly: a string quoted and shortened, a list or object by its kind. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return quoted(value, 40);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
