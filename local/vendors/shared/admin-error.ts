/** A refused admin operation; the HTTP admin answers with its status. */
export class SimulatorAdminError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorAdminError';
  }
}
