import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A function that runs V8's minor (young-generation) garbage collection on the calling thread.
 *
 * The WebAssembly path decrypts through Node's ciphers, and each of their calls returns its
 * output in a newly allocated buffer outside V8's heap. V8 collects those only once tens of
 * megabytes have piled up in a thread (it counts memory outside its heap loosely), so with a
 * worker per core `unlock` went past 150 MB. A minor collection after each chunk frees them
 * while they are still young, which takes well under a millisecond, and the decryption then
 * reuses the freed memory instead of faulting in fresh pages, which saves more time than the
 * collection costs.
 */
export function youngGarbageCollector(): () => void {
  // The flag makes V8 give new contexts a `gc` function; one such context is enough.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
  return () => {
    gc({ type: 'minor' });
  };
}
