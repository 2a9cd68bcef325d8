import { describe, expect, it } from 'vitest';

import { BackendError, toIpcError } from './backend';

describe('toIpcError', () => {
  it('keeps a {code, message} rejection from a command', () => {
    expect(toIpcError({ code: 'not_found', message: 'no such subject' })).toEqual({
      code: 'not_found',
      message: 'no such subject',
    });
  });

  it('keeps a BackendError', () => {
    const error = new BackendError({ code: 'cancelled', message: 'import cancelled' });
    expect(toIpcError(error)).toEqual({ code: 'cancelled', message: 'import cancelled' });
  });

  it('turns anything else into an internal error', () => {
    expect(toIpcError('boom')).toEqual({ code: 'internal', message: 'boom' });
    expect(toIpcError(new Error('bad'))).toEqual({ code: 'internal', message: 'bad' });
    expect(toIpcError({ code: 'made_up', message: 'x' })).toEqual({
      code: 'internal',
      message: '[object Object]',
    });
  });
});
