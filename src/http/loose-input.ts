/**
 * A member of a query string or form body that no schema describes: the browser pages that answer
 * every mistake with a page of their own read their input this way. Undefined when absent; any
 * other value as it was parsed (a repeated parameter is an array), for the caller to check.
 */
export function memberOf(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null && Object.hasOwn(input, name) ? Reflect.get(input, name) : undefined;
}
