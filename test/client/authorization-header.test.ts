import { hasAuthorization, toFlatHeaders, withBearer } from '../../client/authorization-header';

describe('toFlatHeaders', () => {
  it('flattens an object, repeating the name of a multi-valued header and dropping undefined', () => {
    expect(
      toFlatHeaders({ accept: ['application/json', 'text/plain'], 'x-a': '1', 'x-b': undefined }),
    ).toEqual(['accept', 'application/json', 'accept', 'text/plain', 'x-a', '1']);
  });

  it('flattens an iterable of pairs, reading it once', () => {
    let reads = 0;
    const once: Iterable<[string, string]> = {
      *[Symbol.iterator]() {
        reads += 1;
        yield ['x-a', '1'];
      },
    };

    expect(toFlatHeaders(once)).toEqual(['x-a', '1']);
    expect(reads).toBe(1);
  });

  it('copies a flat list as given and turns null into an empty list', () => {
    const flat = ['x-a', '1'];
    expect(toFlatHeaders(flat)).toEqual(flat);
    expect(toFlatHeaders(flat)).not.toBe(flat);
    expect(toFlatHeaders(null)).toEqual([]);
    expect(toFlatHeaders(undefined)).toEqual([]);
  });
});

describe('hasAuthorization', () => {
  it('finds the header in any case, only at name positions', () => {
    expect(hasAuthorization(['AuthoriZation', 'Bearer x'])).toBe(true);
    expect(hasAuthorization(['x-note', 'authorization'])).toBe(false);
    expect(hasAuthorization([])).toBe(false);
  });
});

describe('withBearer', () => {
  it('appends a bearer Authorization header and leaves the input alone', () => {
    const flat = ['accept', '*/*'];
    expect(withBearer(flat, 'k')).toEqual(['accept', '*/*', 'authorization', 'Bearer k']);
    expect(flat).toEqual(['accept', '*/*']);
  });
});
