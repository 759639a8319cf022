/**
 * The events the rotator puts on the account's default EventBridge bus, so that consumers learn
 * of a new key without polling or waiting for a 401. Keys appear by fingerprint (and Poelis name)
 * only: an event is built from key references, never from a secret's value.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ROTATION_EVENT_SOURCE, type RotationEventType } from '../shared/contracts';
import { RotatorError } from '../shared/errors';
import type { KeyReference } from '../shared/key-reference';

/**
 * What became of the key a rotation replaced: `revoked` (dead at the vendor),
 * `kept-until-next-rotation` (policy `next-rotation`), `manual-at-vendor` (a person revokes it in
 * the vendor's web app), `failed` (still live; the next rotation or the audit picks it up).
 */
export type RevocationOutcome =
  'revoked' | 'kept-until-next-rotation' | 'manual-at-vendor' | 'failed';

/** `detail` of an `API Key Rotated` event. */
export interface KeyRotatedDetail {
  /** The new version's id (the rotation token): the same on every delivery of this rotation. */
  readonly rotationId: string;
  readonly secretArn: string;
  readonly secretName: string;
  readonly provider: string;
  readonly newVersionId: string;
  readonly previousVersionId: string;
  readonly newKey: KeyReference;
  readonly previousKey: KeyReference;
  readonly revokePolicy: string;
  readonly revocation: RevocationOutcome;
}

/** `detail` of an `API Key Manual Revocation Required` event. */
export interface ManualRevocationDetail {
  /** The rotation that asks for the revocation (its new version's id). */
  readonly rotationId: string;
  readonly secretArn: string;
  readonly secretName: string;
  readonly provider: string;
  /** The key to revoke. */
  readonly key: KeyReference;
  /** Where a person revokes it, e.g. "the Poelis web app (Settings > Manage REST API Keys)". */
  readonly revokeIn: string;
}

/** `detail` of an `API Key Rolled Back` event. */
export interface KeyRolledBackDetail {
  /** `<restoredVersionId>:<replacedVersionId>`: the same for a rollback retried or run twice. */
  readonly rollbackId: string;
  readonly secretArn: string;
  readonly secretName: string;
  readonly provider: string;
  /** The version AWSCURRENT moved back to (it was AWSPREVIOUS). */
  readonly restoredVersionId: string;
  readonly restoredKey: KeyReference;
  /** The version AWSCURRENT left (now AWSPREVIOUS). */
  readonly replacedVersionId: string;
  readonly replacedKey: KeyReference;
}

/** One of the rotator's events, by its `detail-type`. */
export type RotatorEvent =
  | { readonly detailType: typeof RotationEventType.KeyRotated; readonly detail: KeyRotatedDetail }
  | {
      readonly detailType: typeof RotationEventType.ManualRevocationRequired;
      readonly detail: ManualRevocationDetail;
    }
  | {
      readonly detailType: typeof RotationEventType.KeyRolledBack;
      readonly detail: KeyRolledBackDetail;
    };

/** Puts the rotator's events somewhere consumers can hear them. */
export interface RotationEventPublisher {
  /** Resolves with the event's id; rejects with {@link EventPublishError} when it was not accepted. */
  publish(event: RotatorEvent): Promise<string>;
}

/** EventBridge did not accept an event (the entry failed, or the request did). */
export class EventPublishError extends RotatorError {
  constructor(detailType: string, reason: string, cause?: unknown) {
    super(
      `EventBridge did not accept the "${detailType}" event (${reason}). Check the caller's events:PutEvents permission on the default bus.`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** A PutEvents request's entries must stay under 256 KB, counted as EventBridge documents. */
const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * Publishes to the default event bus of the client's region with PutEvents, one entry per event,
 * `source` {@link ROTATION_EVENT_SOURCE}, the secret's ARN as the event's resource.
 *
 * @example
 * ```ts
 * const events = new EventBridgePublisher(new EventBridgeClient({}));
 * await events.publish({ detailType: RotationEventType.KeyRotated, detail });
 * ```
 */
export class EventBridgePublisher implements RotationEventPublisher {
  constructor(private readonly client: Pick<EventBridgeClient, 'send'>) {}

  async publish(event: RotatorEvent): Promise<string> {
    const detail = JSON.stringify(event.detail);
    // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html#eb-putevent-size
    const size =
      Buffer.byteLength(ROTATION_EVENT_SOURCE) +
      Buffer.byteLength(event.detailType) +
      Buffer.byteLength(detail) +
      Buffer.byteLength(event.detail.secretArn);
    if (size >= MAX_ENTRY_BYTES) {
      throw new EventPublishError(event.detailType, `the entry is ${size} bytes, over 256 KB`);
    }
    let output;
    try {
      output = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: ROTATION_EVENT_SOURCE,
              DetailType: event.detailType,
              Detail: detail,
              Resources: [event.detail.secretArn],
            },
          ],
        }),
      );
    } catch (error) {
      throw new EventPublishError(event.detailType, 'PutEvents failed', error);
    }
    // A request can succeed while its entry fails: FailedEntryCount and the entry's ErrorCode say so.
    const [entry] = output.Entries ?? [];
    if ((output.FailedEntryCount ?? 0) > 0 || entry?.EventId === undefined) {
      throw new EventPublishError(
        event.detailType,
        `${entry?.ErrorCode ?? 'no event id'}: ${entry?.ErrorMessage ?? 'the entry was not accepted'}`,
      );
    }
    return entry.EventId;
  }
}

/** Publishes nothing (tests, and callers that have no bus to publish to). */
export const noEventPublisher: RotationEventPublisher = {
  publish: () => Promise.resolve('not-published'),
};
