import { startPoelisSimulator, type PoelisSimulator } from '../../../local/vendors';
import { call } from './http-client';

const ROUTE = '/v1/public/workspaces';

describe('the reflect-auth fault', () => {
  let sim: PoelisSimulator;
  let key: string;

  beforeEach(async () => {
    sim = await startPoelisSimulator();
    key = sim.admin.createKey(sim.admin.createOrganization('Reflect').id, 'Reflected');
  });

  afterEach(() => sim.close());

  const get = () => call(`${sim.url}${ROUTE}`, { headers: { Authorization: `Bearer ${key}` } });

  it('echoes the Authorization header into the request id and every id and message field', async () => {
    sim.injectFault({ kind: 'reflect-auth', route: ROUTE });
    const { status, headers, json } = await get();
    const echoed = `Bearer ${key}`;
    expect(status).toBe(200);
    // One request id, the vendor's own header replaced.
    expect(headers.get('x-request-id')).toBe(echoed);
    const fields = { id: echoed, organization_id: echoed, error: echoed, message: echoed };
    expect(json).toMatchObject({ ...fields, account_id: echoed, key_id: echoed, data: fields });
    expect((await get()).headers.get('x-request-id')).not.toBe(echoed);
  });

  it.each([401, 500])('answers the chosen status %i', async (wanted) => {
    sim.injectFault({ kind: 'reflect-auth', route: ROUTE, status: wanted });
    expect((await get()).status).toBe(wanted);
  });

  it('reflects a template, dropping from the header what a header cannot carry', async () => {
    sim.injectFault({
      kind: 'reflect-auth',
      route: ROUTE,
      reflected: 'a\r\n\u001b[1m{authorization}!',
    });
    const { headers, json } = await get();
    expect(headers.get('x-request-id')).toBe(`a[1mBearer ${key}!`);
    expect((json as { message: string }).message).toBe(`a\r\n\u001b[1mBearer ${key}!`);
  });
});
