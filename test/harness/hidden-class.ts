import { setFlagsFromString } from 'node:v8';

/**
 * Whether V8 gave `a` and `b` one hidden class (map): objects a cache holds by the thousand should,
 * as one hidden class is shared while a class of its own costs each object about 200 bytes. V8's
 * intrinsics are compiled after the flag that admits them is set (for tests only).
 */
export function sameHiddenClass(a: object, b: object): boolean {
  return intrinsic('HaveSameMap')(a, b);
}

/** Whether V8 keeps `o`'s members in fast mode, not as a hash table of its own (dictionary mode). */
export function fastProperties(o: object): boolean {
  return intrinsic('HasFastProperties')(o);
}

function intrinsic(name: string): (...args: object[]) => boolean {
  setFlagsFromString('--allow-natives-syntax');
  return new Function('a', 'b', `return %${name}(a${name === 'HaveSameMap' ? ', b' : ''})`) as (
    ...args: object[]
  ) => boolean;
}

/**
 * `make(i)` for 500 fresh JSON-parsed inputs, as a watch receives them; returns an early one (the
 * 11th) and the last. V8's object-literal caches only show their steady behaviour once warm: the
 * first few objects share a class either way.
 */
export function earlyAndLate<T>(input: (i: number) => unknown, make: (x: never) => T): [T, T] {
  const made = Array.from({ length: 500 }, (_, i) => make(JSON.parse(JSON.stringify(input(i))) as never));
  return [made[10] as T, made[499] as T];
}
