const DAY_MS = 86_400_000;

/**
 * Whether a run sends notifications, so that a finding is notified once per day without the
 * audit storing any state. Only scheduled runs notify, and only the one whose scheduled time
 * falls in the first schedule interval of its UTC day: with the default daily schedule every
 * scheduled run; with an hourly one, the run between 00:00 and 01:00. Each run audits every
 * secret once (continuations resume where it stopped), so each finding is notified at most
 * once per day — a daily reminder while it lasts. On-demand runs (the CLI's `verify`, a
 * console test) report through their result, logs and metrics only.
 */
export function isNotifyingRun(scheduledTime: number | undefined, intervalMs: number): boolean {
  if (scheduledTime === undefined) return false;
  const sinceMidnight = ((scheduledTime % DAY_MS) + DAY_MS) % DAY_MS;
  return sinceMidnight < Math.min(intervalMs, DAY_MS);
}
