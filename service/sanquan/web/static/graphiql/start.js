// Starts GraphiQL on this service's /graphql. A served file, not an inline script, so that the
// page's Content-Security-Policy can allow scripts from this service only.
"use strict";

(function start() {
  const endpoint = new URL(window.location.pathname, window.location.origin).href;
  const overHttp = GraphiQL.createFetcher({ url: endpoint });
  const noToken = {
    errors: [
      {
        message:
          'Paste your token after "Bearer " in the Headers tab below, then run a query ' +
          "or re-fetch the schema (the circling arrows on the left).",
      },
    ],
  };

  // Every request needs a token: without one, say where it goes instead of asking the
  // service for a 401 (the schema is fetched as soon as the page opens).
  function fetcher(parameters, options) {
    const headers = (options && options.headers) || {};
    const authorization = headers.Authorization || headers.authorization || "";
    if (!/^Bearer\s+\S/i.test(authorization)) return Promise.resolve(noToken);
    return overHttp(parameters, options);
  }

  const ide = React.createElement(GraphiQL, {
    fetcher,
    defaultHeaders: JSON.stringify({ Authorization: "Bearer " }, null, 2),
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    // A pasted bearer token must not outlive the tab: headers are not kept, and what GraphiQL
    // does keep (tabs, and a history that holds each query's headers whatever
    // shouldPersistHeaders says) goes to this tab's sessionStorage, not to localStorage.
    shouldPersistHeaders: false,
    storage: window.sessionStorage,
    inputValueDeprecation: true,
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(ide);
})();
