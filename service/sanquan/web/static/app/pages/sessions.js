// The review sessions (点评工作会), by quarter and status, a page at a time; one session's
// page at `#/sessions/<id>` (session.js).

import { choice, h, table } from "../dom.js";
import { messages, t } from "../i18n.js";
import { badge, currentQuarter, institutionLink, pager, sessionLink, shiftQuarter } from "../domain.js";
import { renderSession } from "./session.js";

messages({
  zh: { "sessions.filter": "筛选" },
  en: { "sessions.filter": "Filter" },
});

const PAGE = 20;

const SESSIONS = `query Sessions($quarter: Quarter, $status: SessionStatus,
    $first: Int, $after: String, $last: Int, $before: String) {
  reviewSessions(quarter: $quarter, status: $status, first: $first, after: $after,
      last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id quarter title status institutions { code name } }
  }
}`;

// The filter and page the reader chose, kept while the tab lives: back from a session's
// page, the list is where it was.
const state = { quarter: "", status: "", page: { first: PAGE } };

async function renderList(view, query) {
  const now = currentQuarter();
  const quarters = [];
  for (let shift = 12; shift >= -12; shift--) quarters.push(shiftQuarter(now, shift));
  const { reviewSessions: found } = await query(SESSIONS, {
    quarter: state.quarter || null,
    status: state.status || null,
    ...state.page,
  });

  const list = h("div", { id: "session-list" });
  const reload = () => {
    view.replaceChildren();
    return renderList(view, query);
  };
  const filter = (name) => (value) => {
    state[name] = value;
    state.page = { first: PAGE };
    reload();
  };
  const all = ["", t("word.all")];
  const filters = h(
    "form",
    { class: "controls-row no-print", onsubmit: (event) => event.preventDefault() },
    choice(
      "quarter",
      t("word.quarter"),
      [all, ...quarters.map((q) => [q, q])],
      state.quarter,
      filter("quarter"),
    ),
    choice(
      "status",
      t("word.status"),
      [all, ...["DRAFT", "OPEN", "CONCLUDED"].map((s) => [s, t(`session.${s}`)])],
      state.status,
      filter("status"),
    ),
  );
  const turn = (page) => {
    state.page = page;
    reload();
  };
  list.append(sessionTable(found.nodes), pager(found, PAGE, turn, "session-count"));
  view.append(h("h2", {}, t("nav.sessions")), filters, list);
}

function sessionTable(sessions) {
  const columns = [
    { label: t("word.quarter"), value: (session) => session.quarter },
    { label: t("word.session"), value: (session) => sessionLink(session) },
    { label: t("word.status"), value: (session) => badge("session", session.status) },
    {
      label: t("word.institutions"),
      value: (session) =>
        session.institutions.map((school, index) => [index ? "、" : "", institutionLink(school)]),
    },
  ];
  return table(columns, sessions, { row: (session) => ({ dataset: { session: session.id } }) });
}

export default {
  id: "sessions",
  title: "nav.sessions",
  render(view, context) {
    return context.params[0] ? renderSession(view, context) : renderList(view, context.query);
  },
};
