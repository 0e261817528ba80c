// The GraphQL-over-HTTP audit of the graphql-http package, run against a live server.
// Usage: node audit.mjs <url> <bearer token>; prints one JSON object per audit.
import { auditServer } from "graphql-http";

const [url, token] = process.argv.slice(2);
const withToken = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn: withToken });
for (const result of results) {
  console.log(
    JSON.stringify({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.status === "ok" ? "" : result.reason,
    }),
  );
}
