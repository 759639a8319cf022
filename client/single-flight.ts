/**
 * Shares one run of an async task among every caller that asks while it is running:
 * the task starts again only after the previous run settled.
 */
export class SingleFlight<T> {
  #running: Promise<T> | undefined;

  /** The run in progress, if any. */
  public get current(): Promise<T> | undefined {
    return this.#running;
  }

  /** Joins the run in progress, or starts `task` if there is none. */
  public run(task: () => Promise<T>): Promise<T> {
    this.#running ??= task().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }
}
