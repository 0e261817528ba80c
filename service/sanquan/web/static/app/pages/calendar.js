// The rotation calendar (轮换日历): a cycle's twelve quarters, each quarter's sessions and
// their schools, by status, schools that are overdue marked. `#/calendar/<first quarter>`.

import { h, notice } from "../dom.js";
import { messages, t } from "../i18n.js";
import {
  allNodes,
  badge,
  currentQuarter,
  forbiddenNotice,
  institutionLink,
  sessionLink,
  shiftQuarter,
} from "../domain.js";

messages({
  zh: {
    "calendar.cycle": "周期",
    "calendar.range": "{start} 至 {end}",
    "calendar.previous": "上一周期",
    "calendar.next": "下一周期",
    "calendar.summary":
      "本周期 {sessions} 场点评工作会,{institutions} 所高校;未排入本周期的在用高校 {unscheduled} 所。",
    "calendar.empty": "本季度没有点评工作会。",
    "calendar.legend": "图例",
    "calendar.itemsOverdue": "整改逾期",
    "calendar.reviewOverdue": "逾期未评",
    "calendar.itemsOverdue.about": "该校有逾期未完成的整改事项",
    "calendar.reviewOverdue.about": "该校距上次点评已超过 16 个季度,或从未点评且未排期",
    "calendar.ownItemsOnly": "整改逾期标记只含本校的整改事项。",
    "calendar.items": "整改事项",
    "calendar.unscheduled": "未排入本周期的在用高校",
    "calendar.overdue": "逾期未评的高校",
    "calendar.lastReview": "上次点评",
    "calendar.dueBy": "应评季度",
    "calendar.never": "从未点评",
  },
  en: {
    "calendar.cycle": "Cycle",
    "calendar.range": "{start} to {end}",
    "calendar.previous": "Previous cycle",
    "calendar.next": "Next cycle",
    "calendar.summary":
      "This cycle holds {sessions} review sessions of {institutions} schools; {unscheduled} active schools are not in it.",
    "calendar.empty": "No review session this quarter.",
    "calendar.legend": "Key",
    "calendar.itemsOverdue": "Items overdue",
    "calendar.reviewOverdue": "Review overdue",
    "calendar.itemsOverdue.about": "The school has rectification items past their due quarter",
    "calendar.reviewOverdue.about":
      "More than 16 quarters since the school's last review, or never reviewed and not scheduled",
    "calendar.ownItemsOnly": "Items overdue are marked for your own school only.",
    "calendar.items": "rectification items",
    "calendar.unscheduled": "Active schools not in this cycle",
    "calendar.overdue": "Schools overdue for review",
    "calendar.lastReview": "Last review",
    "calendar.dueBy": "Due by",
    "calendar.never": "Never reviewed",
  },
});

const CYCLE = 12;
const WINDOW = 12; // quarters either way of now that the API lets a cycle start in

const CALENDAR = `query Calendar($start: Quarter!, $after: String) {
  rotation(start: $start) {
    start end
    quarters { quarter sessions { id title status institutions { code name } } }
    unscheduled { code name }
  }
  overdueInstitutions { institution { code name } lastReview dueBy }
  rectificationItems(overdue: true, first: 200, after: $after) {
    nodes { institution { code } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const MORE_ITEMS = `query OverdueItems($after: String) {
  rectificationItems(overdue: true, first: 200, after: $after) {
    nodes { institution { code } }
    pageInfo { hasNextPage endCursor }
  }
}`;

function mark(key) {
  return h("span", { class: `mark ${key}`, title: t(`calendar.${key}.about`) }, t(`calendar.${key}`));
}

function picker(start) {
  const now = currentQuarter();
  const options = [];
  for (let shift = -WINDOW; shift <= WINDOW; shift++) {
    const first = shiftQuarter(now, shift);
    const range = t("calendar.range", { start: first, end: shiftQuarter(first, CYCLE - 1) });
    options.push(h("option", { value: first, selected: first === start }, range));
  }
  const go = (quarter) => {
    window.location.hash = `#/calendar/${quarter}`;
  };
  const within = (quarter) => Math.abs(distance(now, quarter)) <= WINDOW;
  const step = (label, count) => {
    const target = shiftQuarter(start, count);
    return h("button", { type: "button", disabled: !within(target), onclick: () => go(target) }, t(label));
  };
  return h(
    "div",
    { class: "controls-row no-print" },
    step("calendar.previous", -CYCLE),
    h(
      "label",
      {},
      t("calendar.cycle"),
      " ",
      h("select", { id: "cycle", onchange: (e) => go(e.target.value) }, options),
    ),
    step("calendar.next", CYCLE),
  );
}

function distance(from, to) {
  const index = (quarter) => {
    const [year, number] = quarter.split("Q").map(Number);
    return year * 4 + number;
  };
  return index(to) - index(from);
}

function sessionCard(session, marks) {
  return h(
    "article",
    { class: `session-card status-${session.status.toLowerCase()}`, dataset: { session: session.id } },
    h(
      "header",
      {},
      sessionLink(session, session.title || session.quarter),
      " ",
      badge("session", session.status),
    ),
    h(
      "ul",
      {},
      session.institutions.map((institution) =>
        h(
          "li",
          { dataset: { code: institution.code } },
          institutionLink(institution),
          marks(institution.code),
        ),
      ),
    ),
  );
}

export default {
  id: "calendar",
  title: "nav.calendar",
  async render(view, { read, params, viewer }) {
    const now = currentQuarter();
    const start = /^\d{4}Q[1-4]$/.test(params[0] ?? "") ? params[0] : now;
    const { data, forbidden } = await read(CALENDAR, { start });
    const { rotation, overdueInstitutions } = data;
    const items = data.rectificationItems
      ? await allNodes(async (after) =>
          after ? (await read(MORE_ITEMS, { after })).data.rectificationItems : data.rectificationItems,
        )
      : null;
    const withItems = new Set((items ?? []).map((item) => item.institution.code));
    const late = new Set(overdueInstitutions.map((entry) => entry.institution.code));
    const marks = (code) => [
      late.has(code) ? [" ", mark("reviewOverdue")] : null,
      withItems.has(code) ? [" ", mark("itemsOverdue")] : null,
    ];

    const sessions = rotation.quarters.flatMap((quarter) => quarter.sessions);
    const schools = new Set(sessions.flatMap((session) => session.institutions.map((i) => i.code)));
    view.append(
      h("h2", {}, t("nav.calendar"), " ", t("calendar.range", { start: rotation.start, end: rotation.end })),
      picker(rotation.start),
      h(
        "p",
        { id: "calendar-summary" },
        t("calendar.summary", {
          sessions: sessions.length,
          institutions: schools.size,
          unscheduled: rotation.unscheduled.length,
        }),
      ),
      h(
        "p",
        { class: "legend" },
        t("calendar.legend"),
        ": ",
        ["DRAFT", "OPEN", "CONCLUDED"].map((status) => [badge("session", status), " "]),
        mark("itemsOverdue"),
        " ",
        mark("reviewOverdue"),
      ),
      h(
        "div",
        { class: "notes" },
        forbidden.has("rectificationItems") ? forbiddenNotice("calendar.items") : null,
        items && viewer.role === "INSTITUTION" ? notice(t("calendar.ownItemsOnly")) : null,
      ),
      h(
        "div",
        { class: "calendar" },
        rotation.quarters.map((quarter) =>
          h(
            "section",
            {
              class: `quarter${quarter.quarter === now ? " current" : ""}`,
              dataset: { quarter: quarter.quarter },
            },
            h("h3", {}, quarter.quarter),
            quarter.sessions.length
              ? quarter.sessions.map((session) => sessionCard(session, marks))
              : h("p", { class: "muted" }, t("calendar.empty")),
          ),
        ),
      ),
      h("h3", {}, t("calendar.overdue")),
      overdueInstitutions.length
        ? h(
            "ul",
            { id: "overdue-institutions" },
            overdueInstitutions.map((entry) =>
              h(
                "li",
                {},
                institutionLink(entry.institution),
                " — ",
                entry.lastReview
                  ? `${t("calendar.lastReview")} ${entry.lastReview}, ${t("calendar.dueBy")} ${entry.dueBy}`
                  : t("calendar.never"),
              ),
            ),
          )
        : h("p", { class: "muted" }, t("word.none")),
      h("h3", {}, t("calendar.unscheduled")),
      rotation.unscheduled.length
        ? h(
            "ul",
            { class: "inline-list", id: "unscheduled" },
            rotation.unscheduled.map((institution) => h("li", {}, institutionLink(institution))),
          )
        : h("p", { class: "muted" }, t("word.none")),
    );
  },
};
