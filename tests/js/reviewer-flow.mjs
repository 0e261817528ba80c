// A reviewer's whole flow with graphql-request, against a live server with the demo loaded:
// the operations of reviewer-flow.graphql, then the GraphQL-over-HTTP media type and an
// automatic persisted query (which graphql-request does not do) with plain fetch.
// Usage: node reviewer-flow.mjs <url>, with the demo's SANQUAN_<ROLE>_TOKEN variables set
// (set -a; . var/demo-tokens.env); prints one JSON summary.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse, print } from "graphql";
import { ClientError, GraphQLClient } from "graphql-request";

const [url] = process.argv.slice(2);
const [PKU, BUAA] = ["4111010001", "4111010006"]; // 北京大学 (the INSTITUTION token's), 北航
const RUC = "4111010002"; // 中国人民大学, reviewed in the demo's last concluded session

const flow = parse(readFileSync(new URL("reviewer-flow.graphql", import.meta.url), "utf8"));
const operation = (name) => ({
  kind: "Document",
  definitions: flow.definitions.filter((definition) => definition.name?.value === name),
});
const bearer = (role) => ({ Authorization: `Bearer ${process.env[`SANQUAN_${role}_TOKEN`]}` });
const as = (role) => {
  const client = new GraphQLClient(url, { headers: bearer(role) });
  return (name, variables) => client.request(operation(name), variables);
};
const [school, expert, admin, viewer] = ["INSTITUTION", "EXPERT", "ADMIN", "VIEWER"].map(as);
const unique = (values) => [...new Set(values)].sort();
const codes = (errors) => (errors ?? []).map((error) => error.extensions?.code);
const ranks = (body) =>
  (body.data?.reviewSession.results ?? []).map((result) => result.rank).sort((a, b) => a - b);

const summary = {};
const sessions = await school("Sessions", { school: RUC });
const OPEN = sessions.reviewSessions.nodes[0].id;
const CONCLUDED = sessions.institutionReviews.lastReview.id;
const missingBefore = (await admin("MissingEvaluations", { session: OPEN })).reviewSession;

const { indicatorSet } = (await school("IndicatorSet", { session: OPEN })).reviewSession;
const indicators = indicatorSet.dimensions.flatMap((dimension) => dimension.indicators);
summary.indicatorSet = `${indicatorSet.key} ${indicatorSet.version}`;
summary.indicators = indicators.length;

// A score for each indicator the source rates, with evidence where the set wants it.
const entries = (source, value) =>
  indicators
    .filter((indicator) => indicator.sources.includes(source))
    .map((indicator) => ({
      indicator: indicator.code,
      value,
      ...(indicator.evidenceRequiredFor.includes(source) ? { evidence: "2026 年工作报告" } : {}),
    }));
const submit = async (who, institutionCode, source, scores, final = true) => {
  const input = { sessionId: OPEN, institutionCode, source, scores, final };
  return (await who("SubmitScores", { input })).submitScores;
};
const outcome = (payload) => {
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
  return {
    changedCount: payload.changedCount,
    statuses: unique(payload.scores.map((score) => score.status)),
  };
};

const own = entries("SELF", 86);
summary.draft = outcome(await submit(school, PKU, "SELF", own, false));
summary.final = outcome(await submit(school, PKU, "SELF", own));
summary.unchanged = outcome(await submit(school, PKU, "SELF", own));
const mine = await school("MyScores", { session: OPEN, institution: PKU, source: "SELF" });
const { nodes: scores, totalCount } = mine.reviewSession.scores;
summary.readBack = {
  scores: totalCount,
  values: unique(scores.map((score) => score.value)),
  evidenceWhereRequired: scores.filter((score) => score.evidence).length,
  history: scores[0].history.map((revision) => [revision.oldStatus, revision.newStatus]),
};
const refused = await submit(school, PKU, "SELF", [{ indicator: "T01", value: 150 }]);
summary.refused = {
  changedCount: refused.changedCount,
  userErrors: refused.userErrors.map(({ field, code }) => ({ field, code })),
};
summary.peer = outcome(await submit(school, BUAA, "PEER", entries("PEER", 80)));
summary.expert = outcome(await submit(expert, BUAA, "EXPERT", entries("EXPERT", 82)));
try {
  await submit(viewer, PKU, "SELF", own);
  summary.forbidden = [];
} catch (error) {
  if (!(error instanceof ClientError)) throw error;
  summary.forbidden = codes(error.response.errors);
}
const missingAfter = (await admin("MissingEvaluations", { session: OPEN })).reviewSession;
const [before, after] = [missingBefore, missingAfter].map((s) => new Set(s.missingEvaluations));
summary.missingEvaluations = {
  closed: [...before].filter((gap) => !after.has(gap)).length,
  opened: [...after].filter((gap) => !before.has(gap)).length,
};
const results = (await admin("Results", { session: CONCLUDED })).reviewSession;
summary.results = { status: results.status, ranks: ranks({ data: { reviewSession: results } }) };

// The GraphQL-over-HTTP media type alone: a document that ran, and one that never ran (a
// required variable missing), which gets 400 and no data.
const strict = new GraphQLClient(url, {
  headers: { ...bearer("VIEWER"), Accept: "application/graphql-response+json" },
});
const ran = await strict.rawRequest(print(operation("Results")), { session: CONCLUDED });
summary.graphqlResponseJson = {
  status: ran.status,
  contentType: ran.headers.get("content-type"),
  ranks: ranks(ran),
};
try {
  await strict.rawRequest(print(operation("Results")), {});
} catch (error) {
  if (!(error instanceof ClientError)) throw error;
  const body = JSON.parse(error.response.body); // as sent: graphql-request adds `data: undefined`
  summary.graphqlResponseJson.neverRan = {
    status: error.response.status,
    dataKey: "data" in body,
    codes: codes(body.errors),
  };
}

// Automatic persisted queries as Apollo's link sends them: the hash alone is not known yet,
// the text with the hash is, and from then on the hash alone does.
const text = print(operation("Results"));
const persistedQuery = { version: 1, sha256Hash: createHash("sha256").update(text).digest("hex") };
const post = async (body) => {
  const headers = { ...bearer("VIEWER"), "Content-Type": "application/json" };
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  return response.json();
};
const variables = { session: CONCLUDED };
const hashOnly = await post({ variables, extensions: { persistedQuery } });
const withText = await post({ query: text, variables, extensions: { persistedQuery } });
const hashAgain = await post({ variables, extensions: { persistedQuery } });
summary.persistedQuery = {
  hashOnly: codes(hashOnly.errors),
  withText: ranks(withText),
  hashOnlyAgain: ranks(hashAgain),
};

console.log(JSON.stringify(summary));
