/** The rotator's own vendor HTTP client, allowed to reach the local simulators only. */
import { Agent } from 'undici';
import { HttpClient } from '../lambda/http/client';
import type { LocalWorldUrls } from '../local/world';

export interface VendorHttp {
  readonly http: HttpClient;
  close(): Promise<void>;
}

export function createVendorHttp(urls: LocalWorldUrls): VendorHttp {
  // An owned dispatcher, so the demo can close its keep-alive sockets and exit promptly.
  const dispatcher = new Agent();
  const http = new HttpClient({
    policy: { allowedOrigins: [urls.polytomic, urls.poelis], allowLoopbackHttp: true },
    dispatcher,
    // A probe of a dead key must answer at once, not after retries.
    maxAttempts: 1,
  });
  return { http, close: () => dispatcher.close() };
}
