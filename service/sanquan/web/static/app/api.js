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
  const { data, errors } = await send(document, variables, options);
  if (errors.length) throw graphqlError(errors[0]);
  return data;
}

/** Like `query`, for a page that shows each role what it may read: a field the reader may
 * not read (the API nulls it with FORBIDDEN) does not fail the page. Resolves to
 * `{ data, forbidden }`, `forbidden` the set of those fields' paths without list indices
 * ("reviewSession.panel"), so that the page can say what it leaves out. Any other error
 * still throws. */
export async function read(document, variables = {}) {
  const { data, errors } = await send(document, variables);
  const forbidden = new Set();
  for (const error of errors) {
    if (error.extensions?.code !== "FORBIDDEN" || !error.path) throw graphqlError(error);
    forbidden.add(error.path.filter((part) => typeof part === "string").join("."));
  }
  return { data, forbidden };
}

function graphqlError(error) {
  return new ApiError("graphql", error.message, { code: error.extensions?.code ?? null });
}

/** POST the document; `{ data, errors }` of an answer that has data. */
async function send(document, variables, options = {}) {
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
  const errors = body?.errors ?? [];
  if (response.status === 401) {
    throw new ApiError("unauthenticated", errors[0]?.message ?? t("signIn.refused"), {
      code: "UNAUTHENTICATED",
      status: 401,
    });
  }
  if (!body?.data) {
    if (errors.length) throw graphqlError(errors[0]);
    throw new ApiError("http", `HTTP ${response.status}`, { status: response.status });
  }
  return { data: body.data, errors };
}

/** Fetch a download link (`createExportLink`'s url) with the reader's token, as the service
 * asks, and hand the file to the browser under `fileName`: a plain link could not send the
 * token. */
export async function download(url, fileName) {
  let response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${token()}`, "Accept-Language": language() },
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("network", t("error.network"));
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError("http", body?.errors?.[0]?.message ?? `HTTP ${response.status}`, {
      status: response.status,
    });
  }
  const address = URL.createObjectURL(await response.blob());
  const anchor = Object.assign(document.createElement("a"), { href: address, download: fileName });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The browser has taken the file once the click is handled; a minute is ample.
  setTimeout(() => URL.revokeObjectURL(address), 60_000);
}

const EXPORT_LINK = `mutation ExportLink($input: ExportInput!) {
  createExportLink(input: $input) { link { url fileName rows expiresAt } userErrors { message } }
}`;

/** A download link for an export (`ExportInput`): `{ url, fileName, rows, expiresAt }`. A
 * refusal (FORBIDDEN, or a user error such as a session not yet concluded) throws. */
export async function createExportLink(input) {
  const { createExportLink: payload } = await query(EXPORT_LINK, { input });
  if (payload.userErrors.length) throw new ApiError("graphql", payload.userErrors[0].message);
  return payload.link;
}
