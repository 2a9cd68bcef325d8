import { BackendError, type Backend } from '../api';

/**
 * A fake backend for component tests: the methods a test gives, and for every other method a
 * rejection that names it (so a screen calling something unexpected fails loudly).
 */
export function fakeBackend(methods: Partial<Backend> = {}): Backend {
  return new Proxy(methods as Backend, {
    get(target, property: string) {
      const given = (target as unknown as Record<string, unknown>)[property];
      if (given !== undefined) return given;
      if (property === 'then') return undefined;
      if (property === 'onFileDrop') return () => Promise.resolve(() => undefined);
      return () =>
        Promise.reject(new BackendError({ code: 'internal', message: `fake backend: ${property} not faked` }));
    },
  });
}
