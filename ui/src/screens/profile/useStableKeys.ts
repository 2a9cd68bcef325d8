import { useState } from 'react';

/**
 * React keys for the items of an editable list, so removing item 2 does not hand item 3's
 * half-typed text fields to item 2. Call `added`/`removed` together with the list change.
 */
export function useStableKeys(initialCount: number) {
  const [keys, setKeys] = useState(() => Array.from({ length: initialCount }, (_, index) => index));
  const [nextKey, setNextKey] = useState(initialCount);
  return {
    keyAt: (index: number) => keys[index] ?? -1 - index,
    added: () => {
      setKeys([...keys, nextKey]);
      setNextKey(nextKey + 1);
    },
    removed: (index: number) => {
      setKeys(keys.filter((_, at) => at !== index));
    },
  };
}
