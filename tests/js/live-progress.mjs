// Follows a session's progress as the dashboard does: graphql-ws (the client Apollo and urql
// use for subscriptions) over a WebSocket, the bearer token in connection_init's payload.
// Prints each result as a line of JSON, then {"error": [...]} if the server refused, and
// exits when the server completes the subscription: the session has concluded.
//   node live-progress.mjs ws://127.0.0.1:8000/graphql "$SANQUAN_ADMIN_TOKEN" <session id>
import { createClient } from "graphql-ws";
import WebSocket from "ws"; // Node 20 has no WebSocket of its own; a browser needs none

const [url, token, sessionId] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
const query = `subscription Progress($id: ID!) {
  sessionProgress(sessionId: $id) { status canConclude submitted required }
}`;
try {
  for await (const result of client.iterate({ query, variables: { id: sessionId } })) {
    console.log(JSON.stringify(result));
  }
} catch (error) {
  console.log(JSON.stringify({ error: Array.isArray(error) ? error : String(error) }));
}
await client.dispose();
