import { AwsError, validationError } from './errors';

/** A JSON object as decoded from a request body. */
export type JsonObject = Record<string, unknown>;

interface StringRule {
  min?: number;
  max?: number;
  /** When true the value is sensitive: constraint errors never echo it. */
  sensitive?: boolean;
}

/** The model's member name as AWS spells it in validation messages (camelCase). */
function memberName(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

function typeError(field: string, expected: string): AwsError {
  return new AwsError('SerializationException', `Expected ${expected} for field ${field}`);
}

/** Reads typed fields from a decoded request, failing the way AWS JSON services do. */
export class InputReader {
  constructor(private readonly input: JsonObject) {}

  static from(body: unknown): InputReader {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new AwsError('SerializationException', 'Start of structure or map expected');
    }
    return new InputReader(body as JsonObject);
  }

  has(field: string): boolean {
    return this.input[field] !== undefined && this.input[field] !== null;
  }

  optionalString(field: string, rule: StringRule = {}): string | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw typeError(field, 'string');
    const shown = rule.sensitive ? '***' : value;
    if (rule.min !== undefined && value.length < rule.min) {
      throw validationError(
        memberName(field),
        shown,
        `Member must have length greater than or equal to ${rule.min}`,
      );
    }
    if (rule.max !== undefined && value.length > rule.max) {
      throw validationError(
        memberName(field),
        shown,
        `Member must have length less than or equal to ${rule.max}`,
      );
    }
    return value;
  }

  requiredString(field: string, rule: StringRule = {}): string {
    const value = this.optionalString(field, rule);
    if (value === undefined)
      throw validationError(memberName(field), null, 'Member must not be null');
    return value;
  }

  optionalBoolean(field: string): boolean | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw typeError(field, 'boolean');
    return value;
  }

  optionalInteger(field: string, range: { min?: number; max?: number } = {}): number | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(field, 'integer');
    if (range.min !== undefined && value < range.min) {
      throw validationError(
        memberName(field),
        value,
        `Member must have value greater than or equal to ${range.min}`,
      );
    }
    if (range.max !== undefined && value > range.max) {
      throw validationError(
        memberName(field),
        value,
        `Member must have value less than or equal to ${range.max}`,
      );
    }
    return value;
  }

  /** A blob member: base64 text on the wire. */
  optionalBlob(field: string, range: { min?: number; max?: number } = {}): Buffer | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      throw typeError(field, 'base64 blob');
    }
    const bytes = Buffer.from(value, 'base64');
    if (range.min !== undefined && bytes.length < range.min) {
      throw validationError(
        memberName(field),
        '***',
        `Member must have length greater than or equal to ${range.min}`,
      );
    }
    if (range.max !== undefined && bytes.length > range.max) {
      throw validationError(
        memberName(field),
        '***',
        `Member must have length less than or equal to ${range.max}`,
      );
    }
    return bytes;
  }

  optionalStringList(
    field: string,
    range: { min?: number; max?: number; itemMax?: number } = {},
  ): string[] | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw typeError(field, 'list of strings');
    }
    const items = value as string[];
    if (range.min !== undefined && items.length < range.min) {
      throw validationError(
        memberName(field),
        `[${items.join(', ')}]`,
        `Member must have length greater than or equal to ${range.min}`,
      );
    }
    if (range.max !== undefined && items.length > range.max) {
      throw validationError(
        memberName(field),
        `[${items.join(', ')}]`,
        `Member must have length less than or equal to ${range.max}`,
      );
    }
    const itemMax = range.itemMax;
    if (itemMax !== undefined && items.some((item) => item.length < 1 || item.length > itemMax)) {
      throw validationError(
        memberName(field),
        `[${items.join(', ')}]`,
        `Member must satisfy constraint: [Member must have length less than or equal to ${itemMax}, Member must have length greater than or equal to 1]`,
      );
    }
    return items;
  }

  optionalObjectList(field: string): InputReader[] | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw typeError(field, 'list of structures');
    return value.map((item) => InputReader.from(item));
  }

  optionalObject(field: string): InputReader | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    return InputReader.from(value);
  }

  /** A string-to-string map such as a KMS encryption context. */
  optionalStringMap(field: string): Record<string, string> | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError(field, 'map');
    const entries = Object.entries(value as JsonObject);
    if (entries.some(([, v]) => typeof v !== 'string')) throw typeError(field, 'map of strings');
    return Object.fromEntries(entries) as Record<string, string>;
  }
}
