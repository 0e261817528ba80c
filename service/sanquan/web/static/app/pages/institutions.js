// The schools (高校): the pool, searchable, a page at a time; one school's page at
// `#/institutions/<code>`: its review history, last and next review, and its rectification
// items still open or overdue.

import { facts, h, notice, table } from "../dom.js";
import { formatDateTime, messages, t } from "../i18n.js";
import {
  allNodes,
  badge,
  forbiddenNotice,
  institutionLink,
  itemStatus,
  pager,
  score,
  sessionLink,
} from "../domain.js";

messages({
  zh: {
    "institutions.search": "搜索名称或代码",
    "institutions.code": "学校标识码",
    "institutions.authority": "主管部门",
    "institutions.category": "类别",
    "institutions.level": "层次",
    "institutions.level.UNDERGRADUATE": "本科",
    "institutions.level.VOCATIONAL": "专科",
    "institutions.pilot": "全国试点",
    "institutions.pilotBatch": "第 {batch} 批",
    "institutions.inactive": "已退出",
    "institutions.own": "本校",
    "institutions.notFound": "没有这所高校。",
    "institutions.lastReview": "上次点评",
    "institutions.nextReview": "下次点评",
    "institutions.neverReviewed": "尚未点评",
    "institutions.notScheduled": "尚未排期",
    "institutions.history": "点评历史",
    "institutions.noHistory": "尚无点评记录。",
    "institutions.rank": "排名",
    "institutions.rankOf": "{rank} / {count}",
    "institutions.overall": "综合指数",
    "institutions.items": "整改事项",
    "institutions.itemsWhat": "这所高校的整改事项",
    "institutions.itemsSummary":
      "未完成 {open} 项,其中逾期 {overdue} 项;已整改待核验 {done} 项;已核验 {verified} 项。",
    "institutions.openItems": "未完成的整改事项",
    "institutions.closedItems": "已整改的整改事项",
    "institutions.noItems": "无。",
    "institutions.item": "内容",
    "institutions.raisedIn": "提出于",
    "institutions.owner": "责任部门",
    "institutions.due": "整改期限",
    "institutions.lastNote": "最新进展",
    "institutions.pilotDepartments": "试点院系",
    "institutions.aliases": "曾用名",
  },
  en: {
    "institutions.search": "Search by name or code",
    "institutions.code": "Code",
    "institutions.authority": "Authority",
    "institutions.category": "Category",
    "institutions.level": "Level",
    "institutions.level.UNDERGRADUATE": "Undergraduate",
    "institutions.level.VOCATIONAL": "Vocational",
    "institutions.pilot": "National pilot",
    "institutions.pilotBatch": "batch {batch}",
    "institutions.inactive": "Retired",
    "institutions.own": "Your school",
    "institutions.notFound": "There is no such school.",
    "institutions.lastReview": "Last review",
    "institutions.nextReview": "Next review",
    "institutions.neverReviewed": "Not reviewed yet",
    "institutions.notScheduled": "Not scheduled yet",
    "institutions.history": "Review history",
    "institutions.noHistory": "No review yet.",
    "institutions.rank": "Rank",
    "institutions.rankOf": "{rank} of {count}",
    "institutions.overall": "Overall index",
    "institutions.items": "Rectification items",
    "institutions.itemsWhat": "this school's rectification items",
    "institutions.itemsSummary":
      "{open} open, {overdue} of them overdue; {done} done and awaiting verification; {verified} verified.",
    "institutions.openItems": "Open rectification items",
    "institutions.closedItems": "Rectification items put right",
    "institutions.noItems": "None.",
    "institutions.item": "Item",
    "institutions.raisedIn": "Raised in",
    "institutions.owner": "Owner",
    "institutions.due": "Due",
    "institutions.lastNote": "Latest progress",
    "institutions.pilotDepartments": "Pilot departments",
    "institutions.aliases": "Former names",
  },
});

const PAGE = 50;

const LIST = `query Institutions($search: String, $first: Int, $after: String, $last: Int, $before: String) {
  institutions(search: $search, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { code name authority category level pilotBatch active }
  }
}`;

const ITEMS = `
  nodes {
    id title indicator owner dueQuarter status overdue
    session { id quarter title }
    notes { text writtenAt }
  }
  pageInfo { hasNextPage endCursor }`;

const ONE = `query Institution($code: String!) {
  institution(code: $code) {
    code name authority category level pilotBatch pilotDepartments active aliases
  }
  institutionReviews(code: $code) {
    lastReview { id quarter title }
    nextReview { id quarter title status }
    sessions {
      id quarter title status
      results { institution { code } rank overallIndex }
    }
  }
  rectificationItems(institutionCode: $code, first: 200) { ${ITEMS} }
}`;

const MORE_ITEMS = `query Items($code: String!, $after: String) {
  rectificationItems(institutionCode: $code, first: 200, after: $after) { ${ITEMS} }
}`;

// The search and page the reader chose, kept while the tab lives.
const state = { search: "", page: { first: PAGE } };

async function renderList(view, { query, viewer }) {
  const { institutions: found } = await query(LIST, { search: state.search || null, ...state.page });
  const reload = () => {
    view.replaceChildren();
    return renderList(view, { query, viewer });
  };
  const search = h("input", {
    id: "search",
    type: "search",
    value: state.search,
    placeholder: t("institutions.search"),
    "aria-label": t("institutions.search"),
  });
  const form = h(
    "form",
    {
      class: "controls-row no-print",
      onsubmit: (event) => {
        event.preventDefault();
        state.search = search.value.trim();
        state.page = { first: PAGE };
        reload();
      },
    },
    search,
    h("button", { type: "submit" }, t("word.search")),
  );
  const turn = (page) => {
    state.page = page;
    reload();
  };
  const columns = [
    {
      label: t("word.institution"),
      value: (i) => [institutionLink(i), i.active ? null : ` (${t("institutions.inactive")})`],
    },
    { label: t("institutions.code"), value: (i) => i.code },
    { label: t("institutions.authority"), value: (i) => i.authority },
    { label: t("institutions.category"), value: (i) => i.category },
    { label: t("institutions.level"), value: (i) => (i.level ? t(`institutions.level.${i.level}`) : "—") },
    {
      label: t("institutions.pilot"),
      value: (i) => (i.pilotBatch ? t("institutions.pilotBatch", { batch: i.pilotBatch }) : "—"),
    },
  ];
  view.append(
    h("h2", {}, t("nav.institutions")),
    viewer.institution
      ? h("p", {}, t("institutions.own"), ": ", institutionLink(viewer.institution))
      : h("span"),
    form,
    table(columns, found.nodes, { row: (i) => ({ dataset: { code: i.code } }) }),
    pager(found, PAGE, turn, "institution-count"),
  );
}

function reviewFacts(school, reviews) {
  const { lastReview, nextReview } = reviews;
  const rows = [
    [t("institutions.code"), school.code],
    [t("institutions.authority"), school.authority],
    [t("institutions.category"), school.category],
    [t("institutions.level"), school.level ? t(`institutions.level.${school.level}`) : "—"],
    school.pilotBatch
      ? [t("institutions.pilot"), t("institutions.pilotBatch", { batch: school.pilotBatch })]
      : null,
    school.pilotDepartments.length
      ? [t("institutions.pilotDepartments"), school.pilotDepartments.join("、")]
      : null,
    school.aliases.length ? [t("institutions.aliases"), school.aliases.join("、")] : null,
    [
      t("institutions.lastReview"),
      h(
        "span",
        { id: "last-review" },
        lastReview ? sessionLink(lastReview, lastReview.quarter) : t("institutions.neverReviewed"),
      ),
    ],
    [
      t("institutions.nextReview"),
      h(
        "span",
        { id: "next-review" },
        nextReview
          ? [sessionLink(nextReview, nextReview.quarter), " ", badge("session", nextReview.status)]
          : t("institutions.notScheduled"),
      ),
    ],
  ];
  return facts(rows);
}

function history(code, sessions) {
  if (!sessions.length) return h("p", { class: "muted" }, t("institutions.noHistory"));
  const mine = (session) => session.results?.find((r) => r.institution.code === code) ?? null;
  const columns = [
    { label: t("word.quarter"), value: (s) => s.quarter },
    { label: t("word.session"), value: (s) => sessionLink(s) },
    { label: t("word.status"), value: (s) => badge("session", s.status) },
    {
      label: t("institutions.rank"),
      value: (s) =>
        mine(s)?.rank ? t("institutions.rankOf", { rank: mine(s).rank, count: s.results.length }) : "—",
      numeric: true,
    },
    { label: t("institutions.overall"), value: (s) => score(mine(s)?.overallIndex), numeric: true },
  ];
  return table(columns, sessions, { row: (s) => ({ dataset: { session: s.id } }) });
}

function itemTable(items) {
  if (!items.length) return h("p", { class: "muted" }, t("institutions.noItems"));
  const columns = [
    { label: t("institutions.item"), value: (i) => i.title },
    { label: t("institutions.raisedIn"), value: (i) => sessionLink(i.session, i.session.quarter) },
    { label: t("institutions.owner"), value: (i) => i.owner || "—" },
    { label: t("institutions.due"), value: (i) => i.dueQuarter ?? "—" },
    {
      label: t("word.status"),
      value: itemStatus,
    },
    {
      label: t("institutions.lastNote"),
      value: (i) => {
        const note = i.notes.at(-1);
        return note
          ? [note.text, h("br"), h("small", { class: "muted" }, formatDateTime(note.writtenAt))]
          : "—";
      },
    },
  ];
  return table(columns, items, { row: (i) => ({ dataset: { item: i.id, overdue: String(i.overdue) } }) });
}

function rectification(items) {
  const open = items.filter((i) => i.status === "OPEN" || i.status === "IN_PROGRESS");
  // Overdue first: what the next review will ask about.
  open.sort((a, b) => Number(b.overdue) - Number(a.overdue));
  const count = (status) => items.filter((i) => i.status === status).length;
  return [
    h(
      "p",
      { id: "items-summary" },
      t("institutions.itemsSummary", {
        open: open.length,
        overdue: open.filter((i) => i.overdue).length,
        done: count("DONE"),
        verified: count("VERIFIED"),
      }),
    ),
    h("h4", {}, t("institutions.openItems")),
    h("div", { id: "open-items" }, itemTable(open)),
    h("h4", {}, t("institutions.closedItems")),
    h("div", { id: "closed-items" }, itemTable(items.filter((i) => !open.includes(i)))),
  ];
}

async function renderOne(view, { read, query, params }) {
  const code = params[0];
  const { data, forbidden } = await read(ONE, { code });
  const school = data.institution;
  if (!school) {
    view.append(h("h2", {}, t("nav.institutions")), notice(t("institutions.notFound"), "error"));
    return;
  }
  const items = data.rectificationItems
    ? await allNodes(async (after) =>
        after ? (await query(MORE_ITEMS, { code, after })).rectificationItems : data.rectificationItems,
      )
    : null;
  view.append(
    h("h2", {}, school.name, school.active ? null : ` (${t("institutions.inactive")})`),
    reviewFacts(school, data.institutionReviews),
    h(
      "section",
      { class: "part" },
      h("h3", {}, t("institutions.history")),
      history(code, data.institutionReviews.sessions),
    ),
    h(
      "section",
      { class: "part", id: "items" },
      h("h3", {}, t("institutions.items")),
      forbidden.has("rectificationItems") ? forbiddenNotice("institutions.itemsWhat") : rectification(items),
    ),
  );
}

export default {
  id: "institutions",
  title: "nav.institutions",
  render(view, context) {
    return context.params[0] ? renderOne(view, context) : renderList(view, context);
  },
};
