import {
  HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
} from '../http/client';

/**
 * The vendor HTTP client with at most `perOrigin` requests in flight per origin, so an audit of
 * many secrets paces itself to a vendor's rate limit (Poelis: 60/min per organization) and
 * each 429's Retry-After is a short wait rather than a race among parallel requests.
 */
export class OriginGatedHttpClient extends HttpClient {
  private readonly queues = new Map<string, Array<() => void>>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    options: HttpClientOptions,
    private readonly perOrigin: number,
  ) {
    super(options);
  }

  override async request(req: HttpRequest): Promise<HttpResponse> {
    const origin = req.url.origin;
    await this.acquire(origin);
    try {
      return await super.request(req);
    } finally {
      this.release(origin);
    }
  }

  private acquire(origin: string): Promise<void> {
    const running = this.inFlight.get(origin) ?? 0;
    if (running < this.perOrigin) {
      this.inFlight.set(origin, running + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const queue = this.queues.get(origin) ?? [];
      queue.push(resolve);
      this.queues.set(origin, queue);
    });
  }

  // The slot passes straight to the next waiter, so the count only drops when nobody waits.
  private release(origin: string): void {
    const waiter = this.queues.get(origin)?.shift();
    if (waiter !== undefined) {
      waiter();
      return;
    }
    this.inFlight.set(origin, (this.inFlight.get(origin) ?? 1) - 1);
  }
}
