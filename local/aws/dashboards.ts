/**
 * CloudWatch dashboards, in process: stored as given after the checks PutDashboard makes on the
 * body's overall structure. Widgets are not rendered.
 */
import { AwsError } from './errors';
import type { Clock } from './types';

export interface DashboardRecord {
  name: string;
  /** Dashboards are global: the ARN has no region. */
  arn: string;
  /** The body as given (JSON text). */
  body: string;
  widgetCount: number;
  lastModified: number;
}

export interface DashboardsState {
  dashboards: Record<string, DashboardRecord>;
}

export function emptyDashboardsState(): DashboardsState {
  return { dashboards: {} };
}

export interface DashboardsServiceOptions {
  readonly accountId: string;
  readonly clock: Clock;
  readonly state?: DashboardsState;
}

// AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
// AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
const MAX_WIDGETS = 500;

function invalidBody(message: string): AwsError {
  return new AwsError(
    'InvalidParameterInput',
    `The dashboard body is invalid, there are 1 validation errors: ${message}`,
  );
}

/** CloudWatch dashboards. */
export class DashboardsService {
  readonly state: DashboardsState;
  private readonly accountId: string;
  private readonly clock: Clock;

  constructor(options: DashboardsServiceOptions) {
    this.accountId = options.accountId;
    this.clock = options.clock;
    this.state = options.state ?? emptyDashboardsState();
  }

  /**
   * Creates or replaces a dashboard (PutDashboard). The body must be a JSON object with a
   * `widgets` array of at most 500 objects (it may be empty).
   */
  // AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
  putDashboard(name: string, bodyJson: string): { name: string; arn: string } {
    if (!NAME_PATTERN.test(name)) {
      throw new AwsError(
        'InvalidParameterValue',
        `The value ${name} for parameter DashboardName is invalid: use 1 to 255 characters from A-Z, a-z, 0-9, "-" and "_".`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(bodyJson);
    } catch (error) {
      throw invalidBody(
        `the body is not JSON (${error instanceof Error ? error.message : 'parse error'})`,
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalidBody('the body must be a JSON object');
    }
    const widgets = (body as Record<string, unknown>).widgets;
    if (!Array.isArray(widgets)) throw invalidBody('the body must have a "widgets" array');
    if (widgets.length > MAX_WIDGETS) {
      throw invalidBody(
        `"widgets" holds ${widgets.length} widgets; at most ${MAX_WIDGETS} are allowed`,
      );
    }
    (widgets as unknown[]).forEach((widget, index) => {
      if (typeof widget !== 'object' || widget === null || Array.isArray(widget)) {
        throw invalidBody(`widgets[${index}] must be an object`);
      }
      if (typeof (widget as Record<string, unknown>).type !== 'string') {
        throw invalidBody(`widgets[${index}] must have a "type"`);
      }
    });
    const arn = `arn:aws:cloudwatch::${this.accountId}:dashboard/${name}`;
    this.state.dashboards[name] = {
      name,
      arn,
      body: bodyJson,
      widgetCount: widgets.length,
      lastModified: this.clock.now(),
    };
    return { name, arn };
  }

  dashboard(name: string): DashboardRecord | undefined {
    return this.state.dashboards[name];
  }

  /** The parsed body of a dashboard, if it exists. */
  dashboardBody(name: string): Record<string, unknown> | undefined {
    const record = this.state.dashboards[name];
    return record ? (JSON.parse(record.body) as Record<string, unknown>) : undefined;
  }

  deleteDashboard(name: string): void {
    if (!this.state.dashboards[name]) {
      throw new AwsError('ResourceNotFound', `Dashboard ${name} does not exist.`, 404);
    }
    delete this.state.dashboards[name];
  }

  dashboards(): { name: string; arn: string; widgetCount: number }[] {
    return Object.values(this.state.dashboards).map(({ name, arn, widgetCount }) => ({
      name,
      arn,
      widgetCount,
    }));
  }
}
