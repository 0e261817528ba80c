// The GraphQL API, read like any other client: POST to /graphql with the reader's token.

import { token } from "./auth.js";
import { language, t } from "./i18n.js";

// Relative to the page, so that the dashboard works under a path prefix too.
const ENDPOINT = "graphql";

/** Why a query gave no data. `kind` is "unauthenticated" (no valid token: sign in again),
 * "network" (the service cannot be reached), "graphql" (the API refused or failed: `code` is
 * its `extensions.code`) or "http" (an answer that is not GraphQL). */
export class ApiError extends Error {
  constructor(kind, message, { code = null, status = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.code = code;
    this.status = status;
  }
}

/** The `data` of `document` run with `variables`; an ApiError when there is none, or when
 * the answer carries any error (a page shows all it asked for, or says why not).
 * `options.token` overrides the signed-in token (the sign-in form checks one with it). */
export async function query(document, variables = {}, options = {}) {
  const bearer = options.token ?? token();
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json;q=0.9",
        "Accept-Language": language(),
        ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify({ query: document, variables }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("network", t("error.network"));
  }
  const body = await response.json().catch(() => null);
  const error = body?.errors?.[0];
  if (response.status === 401) {
    throw new ApiError("unauthenticated", error?.message ?? t("signIn.refused"), {
      code: "UNAUTHENTICATED",
      status: 401,
    });
  }
  if (error) {
    const code = error.extensions?.code ?? null;
    throw new ApiError("graphql", error.message, { code, status: response.status });
  }
  if (!response.ok || !body?.data) {
    throw new ApiError("http", `HTTP ${response.status}`, { status: response.status });
  }
  return body.data;
}
