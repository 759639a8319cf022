/**
 * Reading a resource's resolved properties. Each handler names the properties it honours and the
 * ones it records without effect in the local world; any other property fails the deploy naming
 * the logical id, so nothing the template asks for is dropped in silence.
 */

/** A property the local world cannot honour, or a property of the wrong shape. */
export class UnsupportedPropertyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPropertyError';
  }
}

export type JsonRecord = Record<string, unknown>;

export class ResourceProperties {
  constructor(
    private readonly properties: JsonRecord,
    /** Properties the handler reads and honours. */
    honoured: readonly string[],
    /** Properties accepted with no effect locally (what they change is not observable here). */
    recorded: readonly string[] = [],
  ) {
    const known = new Set([...honoured, ...recorded]);
    const unknown = Object.keys(properties).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new UnsupportedPropertyError(`the local world does not emulate ${unknown.join(', ')}`);
    }
  }

  private fail(name: string, expected: string): never {
    throw new UnsupportedPropertyError(`${name} must be ${expected}`);
  }

  has(name: string): boolean {
    return this.properties[name] !== undefined;
  }

  optionalString(name: string): string | undefined {
    const value = this.properties[name];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : this.fail(name, 'a string');
  }

  string(name: string): string {
    return this.optionalString(name) ?? this.fail(name, 'set');
  }

  optionalNumber(name: string): number | undefined {
    const value = this.properties[name];
    if (value === undefined) return undefined;
    const number = typeof value === 'string' ? Number(value) : value;
    return typeof number === 'number' && Number.isFinite(number)
      ? number
      : this.fail(name, 'a number');
  }

  number(name: string): number {
    return this.optionalNumber(name) ?? this.fail(name, 'set');
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.properties[name];
    if (value === undefined) return undefined;
    if (value === 'true' || value === 'false') return value === 'true';
    return typeof value === 'boolean' ? value : this.fail(name, 'a boolean');
  }

  optionalObject(name: string): JsonRecord | undefined {
    const value = this.properties[name];
    if (value === undefined) return undefined;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonRecord)
      : this.fail(name, 'an object');
  }

  object(name: string): JsonRecord {
    return this.optionalObject(name) ?? this.fail(name, 'set');
  }

  optionalList(name: string): unknown[] | undefined {
    const value = this.properties[name];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? (value as unknown[]) : this.fail(name, 'a list');
  }

  stringList(name: string): string[] {
    const list = this.optionalList(name) ?? [];
    return list.map((item) =>
      typeof item === 'string' ? item : this.fail(name, 'a list of strings'),
    );
  }

  /** `[{ Key, Value }]` tags. */
  tags(name = 'Tags'): { Key: string; Value: string }[] {
    return (this.optionalList(name) ?? []).map((tag) => {
      const { Key, Value } = (tag ?? {}) as { Key?: unknown; Value?: unknown };
      if (typeof Key !== 'string' || typeof Value !== 'string')
        this.fail(name, 'a list of {Key, Value}');
      return { Key, Value };
    });
  }

  /** Fails when a nested object has keys the handler does not emulate. */
  onlyKeys(name: string, object: JsonRecord, known: readonly string[]): void {
    const unknown = Object.keys(object).filter((key) => !known.includes(key));
    if (unknown.length > 0) {
      throw new UnsupportedPropertyError(
        `the local world does not emulate ${name}.${unknown.join(`, ${name}.`)}`,
      );
    }
  }
}
