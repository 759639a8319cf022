/**
 * Polytomic's partner endpoints for organizations and users, as its public API clients define
 * them: `GET|POST /api/organizations` and `GET|POST /api/organizations/{org_id}/users`
 * (`{email, role}`). Partner keys only; bodies are `Organization` (`id`, `name`) and `User`
 * (`id`, `email`, `organization_id`, `role`) inside `{"data": …}`.
 */
import type { VendorResponse } from '../shared/vendor-server';
import type { PolytomicDirectory, PolytomicOrganization, PolytomicUser } from './directory';
import { apiError, ok } from './responses';

export const PARTNER_ROUTES = {
  organizations: '/api/organizations',
  organizationUsers: '/api/organizations/:org/users',
} as const;

/** Longest organization name or email the simulator accepts (Polytomic documents none). */
const MAX_FIELD_LENGTH = 255;
/** Enough of an email to route mail: something@domain, no blanks. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The handlers of the partner organization and user endpoints. */
export function partnerRoutes(directory: PolytomicDirectory): {
  listOrganizations(): VendorResponse;
  createOrganization(body: string): VendorResponse;
  listUsers(organizationId: string): VendorResponse;
  createUser(organizationId: string, body: string): VendorResponse;
} {
  return {
    listOrganizations: () => ok(directory.listOrganizations().map(organizationJson)),

    createOrganization(body) {
      const fields = jsonObject(body);
      if (fields === undefined) return apiError(400, 'The request body must be a JSON object.');
      const name = fields.name;
      if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_FIELD_LENGTH) {
        return apiError(422, 'name is required (1 to 255 characters).');
      }
      const outcome = directory.createPartnerOrganization(name);
      if (outcome.kind === 'name-taken') {
        return apiError(409, 'An organization with this name already exists.');
      }
      return ok(organizationJson(outcome.organization));
    },

    listUsers(organizationId) {
      const users = directory.usersOf(organizationId);
      if (users === undefined) return apiError(404, 'organization not found');
      return ok(users.map(userJson));
    },

    createUser(organizationId, body) {
      const fields = jsonObject(body);
      if (fields === undefined) return apiError(400, 'The request body must be a JSON object.');
      const { email, role } = fields;
      if (typeof email !== 'string' || !EMAIL.test(email) || email.length > MAX_FIELD_LENGTH) {
        return apiError(422, 'email must be an email address.');
      }
      if (role !== undefined && typeof role !== 'string') {
        return apiError(422, 'role must be a string.');
      }
      const outcome = directory.createPartnerUser(organizationId, email, role);
      switch (outcome.kind) {
        case 'created':
          return ok(userJson(outcome.user));
        case 'organization-not-found':
          return apiError(404, 'organization not found');
        case 'unknown-role':
          return apiError(422, 'role is not a role of this organization.');
        case 'email-taken':
          return apiError(
            409,
            outcome.elsewhere
              ? 'A user with this email belongs to another organization.'
              : 'A user with this email already exists in this organization.',
          );
      }
    },
  };
}

function organizationJson(organization: PolytomicOrganization): Record<string, string> {
  return { id: organization.id, name: organization.name };
}

function userJson(user: PolytomicUser): Record<string, string> {
  return { id: user.id, email: user.email, organization_id: user.organizationId, role: user.role };
}

function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
