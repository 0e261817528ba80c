// Live views: a GraphQL subscription over graphql-transport-ws at the service's own /graphql,
// with the vendored graphql-ws client (the protocol's reference client: it answers the
// service's pings, subscribes again after a reconnection, and tells each step). The bearer
// token goes in connection_init's payload, as the service reads it; never in the address.

import { token } from "./auth.js";
import { language, messages, t } from "./i18n.js";
import { loadVendored } from "./vendored.js";

messages({
  zh: {
    "live.4403": "访问令牌已失效,请重新登录",
    "live.4429": "本账号的实时连接过多,请关闭其他标签页后刷新",
  },
  en: {
    "live.4403": "the token is no longer valid: sign in again",
    "live.4429": "too many live connections for this account: close other tabs and reload",
  },
});

/** Seconds of the first wait before a reconnection, and at most between two: a dropped
 * socket (the service restarting, the laptop's Wi-Fi) comes back on its own. */
const RETRY = { first: 1, most: 30 };

/** Close codes after which trying again cannot help: 4403 the token is refused (expired,
 * revoked, or the account switched off), 4406 no common protocol. */
const FINAL = new Set([4403, 4406]);

/** The subscription endpoint: the page's own /graphql, ws: or wss: as the page is served
 * (relative to the page, so that a path prefix is kept). */
export function endpoint() {
  const address = new URL("graphql", document.baseURI);
  address.protocol = address.protocol === "https:" ? "wss:" : "ws:";
  return address.href;
}

/** Wait before reconnection number `retries` (0 the first): doubling from RETRY.first up to
 * RETRY.most, with a random part so that a room of laptops does not come back at once. */
function backoff(retries) {
  const seconds = Math.min(RETRY.first * 2 ** retries, RETRY.most);
  return new Promise((resolve) => setTimeout(resolve, (seconds * (0.75 + Math.random() / 2)) * 1000));
}

/** Follow `subscription` (a subscription document's text) with `variables`. `onData(data)`
 * gets each result; `onState(state, detail)` each change of state: "connecting", "live",
 * "offline" (the socket dropped: it reconnects by itself), "ended" (the service completed
 * the subscription), or "refused" (`detail` the reason: the service's error message).
 * Returns the function that stops following: a page calls it when the reader leaves. */
export function follow(subscription, variables, { onData, onState }) {
  let stopped = false; // by the page, or for good: "ended" and "refused" are the last word
  let unsubscribe = null;
  let client = null;
  const state = (name, detail = null) => {
    if (stopped) return;
    onState(name, detail);
    if (name === "ended" || name === "refused") stop();
  };
  const stop = () => {
    stopped = true;
    if (unsubscribe) unsubscribe();
    if (client) client.dispose();
  };
  state("connecting");
  loadVendored("graphql-ws", "graphqlWs").then(
    ({ createClient }) => {
      if (stopped) return;
      client = createClient({
        url: endpoint(),
        // A browser's WebSocket sends no headers of the page's choosing: the token, and the
        // language the service's refusals should be in, go in connection_init.
        connectionParams: () => ({ Authorization: `Bearer ${token()}`, "Accept-Language": language() }),
        retryAttempts: Infinity,
        retryWait: backoff,
        shouldRetry: (event) => !FINAL.has(event?.code),
        on: {
          connecting: () => state("connecting"),
          connected: () => state("live"),
          closed: (event) => {
            if (!FINAL.has(event?.code)) state("offline");
          },
        },
      });
      unsubscribe = client.subscribe(
        { query: subscription, variables },
        {
          next: (result) => {
            if (result.data) onData(result.data);
          },
          error: (error) => state("refused", reason(error)),
          complete: () => state("ended"),
        },
      );
    },
    (error) => state("refused", error.message),
  );
  return stop;
}

/** What a failed subscription says: the service's errors (a list, in the reader's
 * language), or why the service closed the socket (its reasons are for developers). */
function reason(error) {
  if (Array.isArray(error)) return error.map((each) => each.message).join(";");
  if (error?.code === 4403 || error?.code === 4429) return t(`live.${error.code}`);
  return error?.reason || error?.message || String(error?.code ?? error);
}
