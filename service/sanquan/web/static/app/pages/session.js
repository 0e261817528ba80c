// One review session (点评工作会), as the meeting reads it and as its handout prints: the
// schools and panel, the scoring's completeness, the ranked results and their charts, the
// diagnosis, the findings raised, and the session's exports.

import { chart } from "../charts.js";
import { facts, h, notice, table } from "../dom.js";
import { formatDateTime, messages, t } from "../i18n.js";
import {
  allNodes,
  badge,
  exportButtons,
  forbiddenNotice,
  institutionLink,
  itemStatus,
  score,
} from "../domain.js";
import { followCompleteness, progressFromMissing, renderCompleteness } from "./completeness.js";

messages({
  zh: {
    "session.indicatorSet": "指标体系",
    "session.deadlines": "评价截止日期",
    "session.opened": "开始评分",
    "session.concluded": "结束时间",
    "session.weights": "汇总权重",
    "session.weightsText": "自评 {self} · 互评 {peer} · 专家 {expert}",
    "session.minExperts": "每校至少专家人数",
    "session.panel": "专家组",
    "session.panelWhat": "专家组名单",
    "session.completeness": "评分进度",
    "session.completenessWhat": "评分进度",
    "session.results": "点评结果",
    "session.noResults": "点评结束后公布结果。",
    "session.rank": "排名",
    "session.overall": "综合指数",
    "session.meanSelfGap": "平均自评偏差",
    "session.chartOverall": "各校综合指数",
    "session.chartDimensions": "各校一级指标得分",
    "session.chartGap": "各校平均自评偏差(自评减同行与专家共识,正值为自评偏高)",
    "session.dimensionNote": "一级指标得分为其下二级指标综合得分按权重的平均。",
    "session.indicators": "二级指标综合得分",
    "session.indicator": "指标",
    "session.diagnostics": "诊断",
    "session.highlights": "亮点",
    "session.weaknesses": "短板",
    "session.selfGaps": "自评偏差明显",
    "session.findings": "点评发现",
    "session.findingsWhat": "本次点评的发现",
    "session.ownFindingsOnly": "高校只能查看本校的点评发现。",
    "session.noFindings": "本次点评没有可查看的发现。",
    "session.kind": "类别",
    "session.title": "内容",
    "session.owner": "责任部门",
    "session.due": "整改期限",
    "session.exports": "导出",
    "session.exportResults": "点评结果",
    "session.exportScores": "评分表",
    "session.scoreSheetWhat": "评分表",
    "session.resultsAfterConclusion": "点评结果在点评结束后可导出。",
    "session.noSet": "本次点评所用的指标体系未安装,无法按一级指标汇总。",
    "session.notFound": "没有这个点评工作会,或您无权查看。",
  },
  en: {
    "session.indicatorSet": "Indicator set",
    "session.deadlines": "Deadlines",
    "session.opened": "Opened",
    "session.concluded": "Concluded",
    "session.weights": "Weights",
    "session.weightsText": "self {self} · peer {peer} · expert {expert}",
    "session.minExperts": "Experts needed per school",
    "session.panel": "Expert panel",
    "session.panelWhat": "the expert panel",
    "session.completeness": "Scoring progress",
    "session.completenessWhat": "the scoring progress",
    "session.results": "Results",
    "session.noResults": "Results are published when the session concludes.",
    "session.rank": "Rank",
    "session.overall": "Overall index",
    "session.meanSelfGap": "Mean self-assessment gap",
    "session.chartOverall": "Overall index per school",
    "session.chartDimensions": "Dimension scores per school",
    "session.chartGap":
      "Mean self-assessment gap per school (self minus the peer and expert consensus; positive: rated itself higher)",
    "session.dimensionNote": "A dimension's score is the weighted mean of its indicators' combined values.",
    "session.indicators": "Combined value per indicator",
    "session.indicator": "Indicator",
    "session.diagnostics": "Diagnosis",
    "session.highlights": "Highlights",
    "session.weaknesses": "Weaknesses",
    "session.selfGaps": "Self-assessment gaps",
    "session.findings": "Findings",
    "session.findingsWhat": "the session's findings",
    "session.ownFindingsOnly": "A school sees its own findings only.",
    "session.noFindings": "No findings you may read were raised in this session.",
    "session.kind": "Kind",
    "session.title": "Finding",
    "session.owner": "Owner",
    "session.due": "Due",
    "session.exports": "Exports",
    "session.exportResults": "Results",
    "session.exportScores": "Score sheet",
    "session.scoreSheetWhat": "the score sheet",
    "session.resultsAfterConclusion": "Results can be exported once the session concludes.",
    "session.noSet": "The session's indicator set is not installed: no dimension scores.",
    "session.notFound": "There is no such review session, or you may not read it.",
  },
});

const SESSION = `query Session($id: ID!) {
  reviewSession(id: $id) {
    id quarter title status minExperts indicatorSetKey indicatorSetVersion
    deadlines { self peer expert }
    openedAt concludedAt
    indicatorSet { title dimensions { code title indicators { code weight } } }
    institutions { code name }
    panel { id name institution { name } }
    missingEvaluations
    scores(first: 0) { totalCount }
    aggregation { weights { self peer expert } }
    results {
      institution { code name } overallIndex rank
      indicators { indicator title selfValue peerMean expertMean combined }
    }
    diagnostics {
      institution { code name } meanSelfGap
      highlights { indicator title delta }
      weaknesses { indicator title delta }
      selfGaps { indicator title gap }
    }
    findings(first: 100) { ...findings }
  }
}
fragment findings on FindingConnection {
  nodes { id kind institution { code name } indicator title owner dueQuarter status overdue }
  pageInfo { hasNextPage endCursor }
}`;

const MORE_FINDINGS = `query Findings($id: ID!, $after: String) {
  reviewSession(id: $id) { findings(first: 100, after: $after) { ...findings } }
}
fragment findings on FindingConnection {
  nodes { id kind institution { code name } indicator title owner dueQuarter status overdue }
  pageInfo { hasNextPage endCursor }
}`;

/** Each dimension's score for one school: its indicators' combined values, weighted as the
 * overall index weighs them (the plugin's indicator weights); null when none was scored. */
export function dimensionScores(result, dimensions) {
  const combined = new Map(result.indicators.map((each) => [each.indicator, each.combined]));
  return dimensions.map((dimension) => {
    let sum = 0;
    let weight = 0;
    for (const indicator of dimension.indicators) {
      const value = combined.get(indicator.code);
      if (value === null || value === undefined) continue;
      sum += indicator.weight * value;
      weight += indicator.weight;
    }
    return weight ? sum / weight : null;
  });
}

function section(id, heading, ...content) {
  return h("section", { id, class: "part" }, h("h3", {}, heading), ...content);
}

function about(session) {
  const { deadlines, aggregation } = session;
  const rows = [
    [t("word.quarter"), session.quarter],
    [t("word.status"), badge("session", session.status)],
    [
      t("session.indicatorSet"),
      `${session.indicatorSet?.title ?? session.indicatorSetKey} (${session.indicatorSetVersion})`,
    ],
    [
      t("session.deadlines"),
      ["SELF", "PEER", "EXPERT"]
        .map((source) => `${t(`source.${source}`)} ${deadlines[source.toLowerCase()] ?? "—"}`)
        .join(" · "),
    ],
    [t("session.minExperts"), String(session.minExperts)],
    session.openedAt ? [t("session.opened"), formatDateTime(session.openedAt)] : null,
    session.concludedAt ? [t("session.concluded"), formatDateTime(session.concludedAt)] : null,
    aggregation ? [t("session.weights"), t("session.weightsText", aggregation.weights)] : null,
    [
      t("word.institutions"),
      session.institutions.map((school, index) => [index ? "、" : "", institutionLink(school)]),
    ],
  ];
  return facts(rows);
}

function panel(session, forbidden) {
  if (forbidden.has("reviewSession.panel")) return forbiddenNotice("session.panelWhat");
  return h(
    "ul",
    { class: "inline-list", id: "panel" },
    session.panel.map((expert) => h("li", {}, expert.name)),
  );
}

/** The completeness view, and for an open (or draft) session the function that starts its
 * live updates and returns the one that stops them (none when the reader may not see it, or
 * the session has concluded: nothing more will change). */
function completeness(session, forbidden) {
  if (forbidden.has("reviewSession.missingEvaluations"))
    return [forbiddenNotice("session.completenessWhat"), null];
  const element = h("div", { id: "completeness" });
  renderCompleteness(element, progressFromMissing(session));
  if (session.status === "CONCLUDED") return [element, null];
  const indicator = h("p", { id: "live-state", class: "live-state muted", role: "status" });
  return [[indicator, element], () => followCompleteness(element, indicator, session.id)];
}

function rankedTable(results, dimensions, gaps) {
  const columns = [
    { label: t("session.rank"), value: (r) => (r.rank === null ? "—" : String(r.rank)), numeric: true },
    { label: t("word.institution"), value: (r) => institutionLink(r.institution) },
    { label: t("session.overall"), value: (r) => score(r.overallIndex), numeric: true },
    ...(dimensions ?? []).map((dimension, index) => ({
      label: h("abbr", { title: dimension.title }, dimension.code),
      value: (r) => score(dimensionScores(r, dimensions)[index]),
      numeric: true,
    })),
    { label: t("session.meanSelfGap"), value: (r) => score(gaps.get(r.institution.code)), numeric: true },
  ];
  return table(columns, results, { row: (r) => ({ dataset: { code: r.institution.code } }) });
}

function indicatorTable(results) {
  const columns = [
    { label: t("session.indicator"), value: (row) => `${row.indicator} ${row.title}` },
    ...results.map((result) => ({
      label: result.institution.name,
      value: (row) => {
        const each = result.indicators.find((i) => i.indicator === row.indicator);
        return h(
          "span",
          {
            title: `${t("source.SELF")} ${score(each?.selfValue)} · ${t("source.PEER")} ${score(each?.peerMean)} · ${t("source.EXPERT")} ${score(each?.expertMean)}`,
          },
          score(each?.combined),
        );
      },
      numeric: true,
    })),
  ];
  return table(columns, results[0].indicators, { row: (row) => ({ dataset: { indicator: row.indicator } }) });
}

// The bars carry their values as labels: the handout is read on paper, without tooltips.
const LABEL = { show: true, position: "top", formatter: (p) => score(p.value) };

function barOption(names, values, extra = {}) {
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 24, bottom: 56, containLabel: true },
    tooltip: { trigger: "axis", valueFormatter: (v) => score(v) },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", ...extra.yAxis },
    series: [{ type: "bar", data: values, label: LABEL, ...extra.series }],
  };
}

function figure(id, caption) {
  const box = h("div", { class: "chart", id });
  return [h("figure", {}, h("figcaption", {}, caption), box), box];
}

async function charts(container, results, dimensions, gaps) {
  const names = results.map((r) => r.institution.name);
  const [overallFigure, overallBox] = figure("chart-overall", t("session.chartOverall"));
  const [gapFigure, gapBox] = figure("chart-gap", t("session.chartGap"));
  const figures = [overallFigure];
  const drawings = [
    [
      overallBox,
      barOption(
        names,
        results.map((r) => r.overallIndex),
        { yAxis: { min: 0, max: 100 } },
      ),
    ],
  ];
  if (dimensions) {
    const [dimensionFigure, dimensionBox] = figure("chart-dimensions", t("session.chartDimensions"));
    figures.push(dimensionFigure);
    drawings.push([
      dimensionBox,
      {
        animation: false,
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 40, bottom: 32, containLabel: true },
        tooltip: { trigger: "axis", valueFormatter: (v) => score(v) },
        xAxis: { type: "category", data: dimensions.map((d) => d.code) },
        yAxis: { type: "value", min: 0, max: 100 },
        series: results.map((r) => ({
          type: "bar",
          name: r.institution.name,
          data: dimensionScores(r, dimensions), // values in the ranked table: labels would crowd
        })),
      },
    ]);
  }
  figures.push(gapFigure);
  drawings.push([
    gapBox,
    barOption(
      names,
      results.map((r) => gaps.get(r.institution.code) ?? null),
    ),
  ]);
  container.append(h("div", { class: "charts" }, figures));
  return Promise.all(drawings.map(([box, option]) => chart(box, option)));
}

// Indicators by code and difference, their titles on hover: the table stays a page long.
function standouts(list, field) {
  if (!list.length) return "—";
  return h(
    "ul",
    { class: "inline-list compact" },
    list.map((each) =>
      h("li", { title: each.title }, `${each.indicator} ${each[field] > 0 ? "+" : ""}${score(each[field])}`),
    ),
  );
}

function diagnostics(list) {
  const columns = [
    { label: t("word.institution"), value: (d) => institutionLink(d.institution) },
    { label: t("session.highlights"), value: (d) => standouts(d.highlights, "delta") },
    { label: t("session.weaknesses"), value: (d) => standouts(d.weaknesses, "delta") },
    { label: t("session.selfGaps"), value: (d) => standouts(d.selfGaps, "gap") },
    { label: t("session.meanSelfGap"), value: (d) => score(d.meanSelfGap), numeric: true },
  ];
  return table(columns, list, { row: (d) => ({ dataset: { code: d.institution.code } }) });
}

function findingsTable(findings) {
  const columns = [
    { label: t("session.kind"), value: (f) => t(`kind.${f.kind}`) },
    { label: t("word.institution"), value: (f) => institutionLink(f.institution) },
    { label: t("session.title"), value: (f) => f.title },
    { label: t("session.owner"), value: (f) => f.owner || "—" },
    { label: t("session.due"), value: (f) => f.dueQuarter ?? "—" },
    {
      label: t("word.status"),
      value: itemStatus,
    },
  ];
  return table(columns, findings, { row: (f) => ({ dataset: { finding: f.id } }) });
}

function exports(session, forbidden) {
  const parts = [];
  if (session.status === "CONCLUDED") {
    parts.push(exportButtons(t("session.exportResults"), { kind: "SESSION_RESULTS", sessionId: session.id }));
  } else {
    parts.push(h("p", { class: "muted" }, t("session.resultsAfterConclusion")));
  }
  if (forbidden.has("reviewSession.scores")) parts.push(forbiddenNotice("session.scoreSheetWhat"));
  else parts.push(exportButtons(t("session.exportScores"), { kind: "SCORE_SHEET", sessionId: session.id }));
  return parts;
}

/** The page `#/sessions/<id>`. */
export async function renderSession(view, { read, query, params, viewer }) {
  const id = params[0];
  const { data, forbidden } = await read(SESSION, { id });
  const session = data.reviewSession;
  if (!session) {
    view.append(h("h2", {}, t("nav.sessions")), notice(t("session.notFound"), "error"));
    return null;
  }
  const findings = session.findings
    ? await allNodes(async (after) =>
        after ? (await query(MORE_FINDINGS, { id, after })).reviewSession.findings : session.findings,
      )
    : null;
  const dimensions = session.indicatorSet?.dimensions ?? null;
  const gaps = new Map((session.diagnostics ?? []).map((d) => [d.institution.code, d.meanSelfGap]));
  const results = session.results
    ? [...session.results].sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99))
    : null;

  const resultsPart = section("results", t("session.results"));
  const [progress, follow] = completeness(session, forbidden);
  view.append(
    h("h2", {}, session.title || session.quarter),
    about(session),
    section("panel-part", t("session.panel"), panel(session, forbidden)),
    section("completeness-part", t("session.completeness"), progress),
    resultsPart,
  );
  const cleanUps = [];
  if (results) {
    resultsPart.append(rankedTable(results, dimensions, gaps));
    if (dimensions) {
      resultsPart.append(
        h(
          "p",
          { class: "muted" },
          dimensions.map((d) => `${d.code} ${d.title}`).join(" · "),
          " — ",
          t("session.dimensionNote"),
        ),
      );
    } else {
      resultsPart.append(notice(t("session.noSet")));
    }
    cleanUps.push(...(await charts(resultsPart, results, dimensions, gaps)));
    resultsPart.append(h("h4", {}, t("session.indicators")), indicatorTable(results));
  } else {
    resultsPart.append(h("p", { class: "muted" }, t("session.noResults")));
  }
  if (session.diagnostics) {
    view.append(section("diagnostics", t("session.diagnostics"), diagnostics(session.diagnostics)));
  }
  view.append(
    section(
      "findings",
      t("session.findings"),
      findings === null
        ? forbiddenNotice("session.findingsWhat")
        : [
            viewer.role === "INSTITUTION" ? notice(t("session.ownFindingsOnly")) : null,
            findings.length ? findingsTable(findings) : h("p", { class: "muted" }, t("session.noFindings")),
          ],
    ),
    section("exports", t("session.exports"), exports(session, forbidden)),
  );
  if (follow) cleanUps.push(follow()); // last: a page that failed to render follows nothing
  return () => cleanUps.forEach((cleanUp) => cleanUp());
}
